"""Missouri Sunshine Law records requests (RSMo 610.023): intake, the business-day clock,
the staff queue, matching footage, depicted persons' copies (RSMo 610.100.3) and delivery."""

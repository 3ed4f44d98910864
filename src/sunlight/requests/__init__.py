"""Missouri Sunshine Law records requests (RSMo 610.023): intake, the business-day clock
and delivery."""

"""Every domain's tables, imported in one place for Alembic and create-time checks.

The incidents and retention change guards, and every domain's custody replay projectors,
register with the evidence core when imported; the runtime imports this module at
start-up, so they are always active.
"""

from sunlight.access import models as access_models
from sunlight.access import sharing_rules as access_sharing_rules
from sunlight.audit import access_replay as audit_access_replay
from sunlight.audit import models as audit_models
from sunlight.captions import models as captions_models
from sunlight.captions import replay as captions_replay
from sunlight.compliance import models as compliance_models
from sunlight.evidence import access_rules as evidence_access_rules
from sunlight.evidence import custody as evidence_custody
from sunlight.evidence import models as evidence_models
from sunlight.evidence import projections as evidence_projections
from sunlight.incidents import access_rules as incidents_access_rules
from sunlight.incidents import guards as incidents_guards
from sunlight.incidents import models as incidents_models
from sunlight.incidents import replay as incidents_replay
from sunlight.ledger import models as ledger_models
from sunlight.ledger import replay as ledger_replay
from sunlight.notify import models as notify_models
from sunlight.policies import models as policies_models
from sunlight.policies import replay as policies_replay
from sunlight.redaction import models as redaction_models
from sunlight.redaction import replay as redaction_replay
from sunlight.release import access_rules as release_access_rules
from sunlight.release import keepers as release_keepers
from sunlight.release import models as release_models
from sunlight.release import replay as release_replay
from sunlight.requests import holds as requests_holds
from sunlight.requests import models as requests_models
from sunlight.requests import replay as requests_replay
from sunlight.retention import guards as retention_guards
from sunlight.retention import models as retention_models
from sunlight.retention import replay as retention_replay

__all__ = [
    "access_models",
    "access_sharing_rules",
    "audit_access_replay",
    "audit_models",
    "captions_models",
    "captions_replay",
    "compliance_models",
    "evidence_access_rules",
    "evidence_custody",
    "evidence_models",
    "evidence_projections",
    "incidents_access_rules",
    "incidents_guards",
    "incidents_models",
    "incidents_replay",
    "ledger_models",
    "ledger_replay",
    "notify_models",
    "policies_models",
    "policies_replay",
    "redaction_models",
    "redaction_replay",
    "release_access_rules",
    "release_keepers",
    "release_models",
    "release_replay",
    "requests_holds",
    "requests_models",
    "requests_replay",
    "retention_guards",
    "retention_models",
    "retention_replay",
]

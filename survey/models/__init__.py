"""The data model. Importing this package registers every table on SQLModel.metadata."""

from survey.models.alerts import ActionStatus, Alert, AlertStatus, FollowUpAction
from survey.models.base import utcnow
from survey.models.mail import DeliveryStatus, MailDelivery, MailSuppression
from survey.models.outbox import OutboxEvent
from survey.models.people import ApiToken, Role, User
from survey.models.projects import (
    Project,
    Rag,
    Relationship,
    Stakeholder,
    StakeholderKind,
    StatusReport,
)
from survey.models.responses import Answer, CommentScore, RelationshipTrend, Response
from survey.models.surveys import (
    Attribution,
    Dimension,
    Invitation,
    Question,
    QuestionKind,
    SurveyTemplate,
    Wave,
    WaveProject,
    WaveStatus,
)

__all__ = [
    "ActionStatus",
    "Alert",
    "AlertStatus",
    "FollowUpAction",
    "Answer",
    "ApiToken",
    "Attribution",
    "CommentScore",
    "DeliveryStatus",
    "Dimension",
    "Invitation",
    "MailDelivery",
    "MailSuppression",
    "OutboxEvent",
    "Project",
    "Question",
    "QuestionKind",
    "Rag",
    "Relationship",
    "RelationshipTrend",
    "Response",
    "Role",
    "Stakeholder",
    "StakeholderKind",
    "StatusReport",
    "SurveyTemplate",
    "User",
    "Wave",
    "WaveProject",
    "WaveStatus",
    "utcnow",
]

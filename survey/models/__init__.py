"""The data model. Importing this package registers every table on SQLModel.metadata."""

from survey.models.alerts import ActionStatus, Alert, AlertStatus, FollowUpAction
from survey.models.audit import AuditEntry
from survey.models.base import utcnow
from survey.models.grants import ProjectGrant
from survey.models.lessons import Lesson, LessonKind
from survey.models.mail import DeliveryStatus, MailDelivery, MailSuppression
from survey.models.outbox import OutboxEvent
from survey.models.people import ApiToken, Role, TokenScope, User
from survey.models.plans import (
    Audience,
    CommunicationPlanEntry,
    DigestLog,
    Frequency,
    ReportStatus,
)
from survey.models.project_events import ProjectEvent, ProjectEventKind, ProjectEventRule
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
from survey.models.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "ActionStatus",
    "Alert",
    "AlertStatus",
    "FollowUpAction",
    "Answer",
    "ApiToken",
    "Audience",
    "CommunicationPlanEntry",
    "DigestLog",
    "Frequency",
    "Lesson",
    "LessonKind",
    "ReportStatus",
    "AuditEntry",
    "Attribution",
    "CommentScore",
    "DeliveryStatus",
    "Dimension",
    "Invitation",
    "MailDelivery",
    "MailSuppression",
    "OutboxEvent",
    "Project",
    "ProjectGrant",
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
    "TokenScope",
    "User",
    "Wave",
    "WaveProject",
    "WaveStatus",
    "ProjectEvent",
    "ProjectEventKind",
    "ProjectEventRule",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
    "WebhookEndpoint",
    "WebhookEvent",
    "utcnow",
]

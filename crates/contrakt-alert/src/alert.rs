//! The domain: an [`Alert`] is one failed (or recovered) check told to one [`Audience`]; its
//! [`Recipient`]s are the people and teams concerned; a `Delivery` is that alert on one
//! channel. The alert serialises as the `contrakt.alert/v1` webhook body
//! (`docs/alert-webhook.md`): fields are only ever added within a version.

use contrakt_core::Level;
use contrakt_core::consumer::Criticality;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

pub use crate::report::PublishRef;
use contrakt_core::expect::Status;

pub const SCHEMA: &str = "contrakt.alert/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// A check failed (a new incident, a rise in severity, or a reminder after the cool-down).
    Trigger,
    /// A check with an open incident passed again.
    Resolve,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Trigger => "trigger",
            Event::Resolve => "resolve",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub schema: String,
    pub event: Event,
    /// Stable for one check of one contract: incidents and receivers group on it.
    pub fingerprint: String,
    pub audience: AudienceName,
    pub severity: Level,
    /// The check's status in the run (`pass` for a resolution).
    pub status: Status,
    /// One line for a notification's title.
    pub title: String,
    /// The message for people, plain text (owners' and consumers' differ).
    pub text: String,
    /// The time of the check run (`--now` of `check`), RFC 3339.
    pub checked_at: String,
    pub contract: ContractRef,
    pub check: CheckRef,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Map<String, Json>>,
    /// The quarantine file holding every row that failed the check (`--quarantine`), rows
    /// tagged with the check's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<String>,
    pub recipients: Vec<Recipient>,
    pub runbook: Runbook,
    /// Set when the check was a write-audit-publish audit (`contrakt publish --notify`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish: Option<PublishRef>,
}

/// Who an alert is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    Owners,
    Consumers,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Owners => "owners",
            Audience::Consumers => "consumers",
        }
    }
}

/// The audience as written in payloads (an owned copy of [`Audience`] that deserialises).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AudienceName {
    Owners,
    Consumers,
}

impl From<Audience> for AudienceName {
    fn from(a: Audience) -> Self {
        match a {
            Audience::Owners => AudienceName::Owners,
            Audience::Consumers => AudienceName::Consumers,
        }
    }
}

impl From<AudienceName> for Audience {
    fn from(a: AudienceName) -> Self {
        match a {
            AudienceName::Owners => Audience::Owners,
            AudienceName::Consumers => Audience::Consumers,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractRef {
    pub id: String,
    pub version: String,
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRef {
    pub id: String,
    pub code: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub object: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    pub message: String,
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// Someone to tell: a team member, a support channel of the contract, or a consumer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipient {
    pub kind: RecipientKind,
    /// Username, support channel id, or consumer id.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Team role (`owner`, `steward`) or support scope (`notifications`, `issues`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<ContactRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Criticality>,
    /// Why this consumer is told: the reads and reliances that the check touches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub because: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecipientKind {
    Member,
    Support,
    Consumer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactRef {
    /// Tool or configured channel name (`slack`, `email`).
    pub channel: String,
    pub target: String,
}

/// What to do about it: links, the steps, and how to reproduce the measurement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Runbook {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// The command that reruns this check.
    pub reproduce: String,
    /// The rule's own query, for `sql` rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

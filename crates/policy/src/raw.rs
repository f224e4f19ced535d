//! The pack exactly as written: serde structs that mirror the TOML, before validation.
//!
//! Every table refuses unknown keys. Values that need checking beyond their TOML type
//! (times, day ranges, vocabulary words, window names) stay `Spanned` strings here so
//! that `load` can report the line and column of a bad one.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;
use toml::value::Datetime;

/// A spanned string.
pub type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPack {
    pub policy: RawMeta,
    pub organisation: RawOrganisation,
    pub hours: Option<RawHours>,
    #[serde(default)]
    pub windows: BTreeMap<String, Spanned<RawWindow>>,
    #[serde(default)]
    pub mail: RawMail,
    #[serde(default)]
    pub web: RawWeb,
    #[serde(default)]
    pub monitoring: RawMonitoring,
    pub passwords: Option<RawPasswords>,
    #[serde(default)]
    pub accounts: RawAccounts,
    #[serde(default)]
    pub governance: RawGovernance,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    pub id: Text,
    pub title: Text,
    pub source: Text,
    pub version: Option<Text>,
    pub owner: Option<Text>,
    pub review_due: Option<Spanned<Datetime>>,
    pub last_reviewed: Option<Spanned<Datetime>>,
    pub timezone: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOrganisation {
    pub name: Text,
    pub registered_number: Option<Text>,
    #[serde(default)]
    pub domains: Vec<Text>,
    pub address: Option<Text>,
    pub phone: Option<Text>,
    pub email: Option<Text>,
    pub website: Option<Text>,
    pub contact: Option<Text>,
    pub roles: Option<Spanned<Vec<Text>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHours {
    pub working: Spanned<RawSpan>,
    #[serde(default)]
    pub breaks: Vec<Spanned<RawSpan>>,
    #[serde(default)]
    pub personal_use: Vec<Text>,
}

/// A named window: one span, or several (their union).
#[derive(Debug)]
pub enum RawWindow {
    One(RawSpan),
    Many(Vec<RawSpan>),
}

/// Written by hand rather than `#[serde(untagged)]`, which buffers the input and so loses
/// the spans that error messages need.
impl<'de> Deserialize<'de> for RawWindow {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawWindow;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a window `{ days, from, to }` or an array of them")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawWindow, A::Error> {
                RawSpan::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawWindow::One)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<RawWindow, A::Error> {
                Vec::<RawSpan>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(RawWindow::Many)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpan {
    pub days: Option<Text>,
    pub from: Text,
    pub to: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMail {
    pub disclaimer: Option<Text>,
    #[serde(default)]
    pub add_disclaimer: bool,
    #[serde(default)]
    pub company_details: Vec<Text>,
    #[serde(default)]
    pub group_addresses: Vec<Text>,
    pub personal_labels: Option<Vec<Text>>,
    pub personal_webmail_domains: Option<Vec<Text>>,
    #[serde(default)]
    pub internal_domains: Vec<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeb {
    pub block_page_contact: Option<Text>,
    #[serde(default)]
    pub url_lists: BTreeMap<String, Text>,
    #[serde(default)]
    pub sensitive_terms: Vec<Text>,
    #[serde(default)]
    pub search_engines: Vec<Spanned<RawSearchEngine>>,
    #[serde(default)]
    pub lists: BTreeMap<String, Spanned<Vec<Text>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSearchEngine {
    pub name: Option<Text>,
    pub host: Text,
    pub path: Option<Text>,
    pub param: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMonitoring {
    pub retention_months: Option<Spanned<i64>>,
    pub clause: Option<Text>,
    pub quote: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPasswords {
    pub change: Text,
    pub clause: Text,
    pub quote: Text,
    #[serde(default)]
    pub mfa_required: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccounts {
    #[serde(default, rename = "address")]
    pub addresses: Vec<Spanned<RawAddressFormat>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAddressFormat {
    pub applies_to: Text,
    pub format: Text,
    pub clause: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGovernance {
    #[serde(default)]
    pub acknowledge_before_use: bool,
    pub briefing_every_months: Option<Spanned<i64>>,
    #[serde(default)]
    pub induction: bool,
    pub safeguarding_role: Option<Text>,
    #[serde(default)]
    pub software_approvers: Vec<Text>,
    #[serde(default)]
    pub device_approvers: Vec<Text>,
    #[serde(default)]
    pub social_media_approvers: Vec<Text>,
    pub access_approvers: Option<Vec<Text>>,
    pub register_roles: Option<Vec<Text>>,
    pub data_protection_roles: Option<Vec<Text>>,
    pub compliance_roles: Option<Vec<Text>>,
    pub auditor_roles: Option<Vec<Text>>,
    pub breach_contact: Option<Text>,
    pub subject_request_contact: Option<Text>,
    pub report_to: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: Text,
    pub clause: Option<Text>,
    pub quote: Option<Text>,
    pub on: Text,
    #[serde(default)]
    pub categories: Vec<Text>,
    #[serde(default)]
    pub checks: Vec<Text>,
    #[serde(default)]
    pub url_lists: Vec<Text>,
    #[serde(default)]
    pub phrase_lists: Vec<Text>,
    pub during: Option<Text>,
    pub outside: Option<Text>,
    #[serde(default)]
    pub roles: Vec<Text>,
    #[serde(default)]
    pub except_roles: Vec<Text>,
    pub direction: Option<Text>,
    pub max_recipients: Option<Spanned<i64>>,
    pub max_download_mb: Option<Spanned<i64>>,
    pub max_minutes_per_day: Option<Spanned<i64>>,
    pub max_messages_per_day: Option<Spanned<i64>>,
    pub model_threshold: Option<Spanned<f64>>,
    #[serde(default)]
    pub networks: Vec<Text>,
    pub action: Text,
    pub severity: Text,
    #[serde(default)]
    pub alert: Vec<Text>,
    pub message: Option<Text>,
}

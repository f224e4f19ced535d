//! Loading: TOML text → [`RawPack`] → validated [`Pack`], with every problem located.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use toml::Spanned;
use toml::value::Datetime;

use crate::diag::{Diagnostic, Level, Lines, Location};
use crate::pack::*;
use crate::raw::*;
use crate::vocab::{Area, Category, CategorySet, Check, Direction, PhraseList, Severity, Verdict};
use crate::window::{BUILT_IN_WINDOWS, ClockTime, Days, Span, Window, Windows};

/// Packs larger than this are refused before parsing: a policy is a few hundred rules at most.
pub const MAX_PACK_BYTES: u64 = 4 * 1024 * 1024;

/// Why a pack could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read (missing, unreadable, too large, not UTF-8).
    Read {
        /// The path as given.
        file: String,
        /// What went wrong, one line.
        reason: String,
    },
    /// The file was read but is not a valid pack.
    Invalid(Vec<Diagnostic>),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read { file, reason } => write!(f, "cannot read pack `{file}`: {reason}"),
            LoadError::Invalid(diagnostics) => match diagnostics.first() {
                Some(first) if diagnostics.len() == 1 => write!(f, "{first}"),
                Some(first) => write!(f, "{first} (and {} more)", diagnostics.len() - 1),
                None => f.write_str("invalid pack"),
            },
        }
    }
}

impl std::error::Error for LoadError {}

/// Reads the text of a pack file, refusing what is too large or not UTF-8.
pub fn read_pack_text(path: &Path) -> Result<String, LoadError> {
    let file = path.display().to_string();
    let read_err = |reason: String| LoadError::Read {
        file: file.clone(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| read_err(e.to_string()))?;
    if meta.is_dir() {
        return Err(read_err("is a directory".into()));
    }
    if meta.len() > MAX_PACK_BYTES {
        return Err(read_err(format!(
            "{} bytes is over the {MAX_PACK_BYTES}-byte limit",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| read_err(e.to_string()))?;
    String::from_utf8(bytes)
        .map_err(|e| read_err(format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to())))
}

/// Loads and validates the pack at `path`.
pub fn load_file(path: &Path) -> Result<Pack, LoadError> {
    let text = read_pack_text(path)?;
    parse(&text, &path.display().to_string())
}

/// Validates pack `text`; `file` names it in diagnostics.
pub fn parse(text: &str, file: &str) -> Result<Pack, LoadError> {
    let raw: RawPack = toml::from_str(text).map_err(|e| {
        let location = e
            .span()
            .map_or_else(Location::default, |s| Location::of(text, s.start));
        let message = e.message().trim().replace('\n', " ");
        let code = if message.starts_with("unknown field") {
            "unknown_key"
        } else if message.starts_with("missing field") {
            "missing_key"
        } else {
            "syntax"
        };
        LoadError::Invalid(vec![Diagnostic {
            level: Level::Error,
            code,
            message: describe_serde_message(&message),
            file: file.to_string(),
            location,
        }])
    })?;
    let mut cx = Cx {
        lines: Lines::new(text),
        file,
        errors: Vec::new(),
    };
    let pack = cx.pack(raw);
    if cx.errors.is_empty() {
        Ok(pack)
    } else {
        Err(LoadError::Invalid(cx.errors))
    }
}

/// serde says "unknown field `x`, expected one of `a`, `b`"; keep its words, which are
/// already in the house style, but say "key" since that is what TOML calls it.
fn describe_serde_message(message: &str) -> String {
    message
        .replacen("unknown field", "unknown key", 1)
        .replacen("missing field", "missing key", 1)
}

struct Cx<'a> {
    lines: Lines<'a>,
    file: &'a str,
    errors: Vec<Diagnostic>,
}

impl Cx<'_> {
    fn at(&self, span: std::ops::Range<usize>) -> Location {
        self.lines.locate(span.start)
    }

    fn error(&mut self, code: &'static str, location: Location, message: String) {
        self.errors.push(Diagnostic {
            level: Level::Error,
            code,
            message,
            file: self.file.to_string(),
            location,
        });
    }

    fn word<T: std::str::FromStr<Err = crate::vocab::UnknownWord>>(
        &mut self,
        code: &'static str,
        text: &Text,
    ) -> Option<T> {
        match text.get_ref().parse::<T>() {
            Ok(value) => Some(value),
            Err(e) => {
                let at = self.at(text.span());
                self.error(code, at, e.to_string());
                None
            }
        }
    }

    fn date(&mut self, key: &str, value: &Spanned<Datetime>) -> Option<Date> {
        let at = self.at(value.span());
        let dt = value.get_ref();
        match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => match Date::new(d.year as i16, d.month as i8, d.day as i8) {
                Ok(date) => Some(date),
                Err(_) => {
                    self.error(
                        "bad_date",
                        at,
                        format!("bad date for `{key}`: `{dt}` does not exist"),
                    );
                    None
                }
            },
            _ => {
                self.error(
                    "bad_date",
                    at,
                    format!("bad date for `{key}`: `{dt}`, expected a date such as 2026-04-01"),
                );
                None
            }
        }
    }

    fn count<T: TryFrom<i64>>(&mut self, key: &str, value: &Option<Spanned<i64>>) -> Option<T> {
        let value = value.as_ref()?;
        match T::try_from(*value.get_ref()) {
            Ok(v) if *value.get_ref() > 0 => Some(v),
            _ => {
                let at = self.at(value.span());
                self.error(
                    "bad_number",
                    at,
                    format!(
                        "bad `{key}` {}: expected a positive whole number",
                        value.get_ref()
                    ),
                );
                None
            }
        }
    }

    /// `model_threshold`: a score above 0 and at most 1, on a rule with a check that a model
    /// scores (`abusive_language`, `unclassified_site`).
    fn model_threshold(&mut self, id: &str, raw: &RawRule) -> Option<f64> {
        let value = raw.model_threshold.as_ref()?;
        let at = self.at(value.span());
        let v = *value.get_ref();
        if !raw.checks.iter().any(|c| {
            matches!(
                c.get_ref().as_str(),
                "abusive_language" | "unclassified_site"
            )
        }) {
            self.error(
                "key_check",
                at,
                format!("`model_threshold` applies only to rules with the `abusive_language` or `unclassified_site` check, and rule `{id}` has neither"),
            );
            return None;
        }
        if !(v > 0.0 && v <= 1.0) {
            self.error(
                "bad_number",
                at,
                format!("bad `model_threshold` {v}: expected a score above 0 and at most 1"),
            );
            return None;
        }
        Some(v)
    }

    fn span(&mut self, raw: &RawSpan, default_days: Days) -> Option<Span> {
        let days = match &raw.days {
            Some(days) => match Days::parse(days.get_ref()) {
                Ok(d) => Some(d),
                Err(message) => {
                    let at = self.at(days.span());
                    self.error("bad_days", at, message);
                    None
                }
            },
            None => Some(default_days),
        };
        let mut time = |t: &Text| match ClockTime::parse(t.get_ref()) {
            Ok(time) => Some(time),
            Err(message) => {
                let at = self.at(t.span());
                self.error("bad_time", at, message);
                None
            }
        };
        let (from, to) = (time(&raw.from), time(&raw.to));
        let span = Span {
            days: days?,
            from: from?,
            to: to?,
        };
        if span.from == span.to {
            let at = self.at(raw.from.span());
            self.error(
                "bad_time",
                at,
                format!(
                    "empty window {}-{}: `from` and `to` are the same",
                    span.from, span.to
                ),
            );
            return None;
        }
        Some(span)
    }

    fn strings(list: Vec<Text>) -> Vec<String> {
        list.into_iter().map(Spanned::into_inner).collect()
    }

    /// A role list, or `[default]` when the pack does not give one.
    fn roles_or(list: Option<Vec<Text>>, default: &str) -> Vec<String> {
        list.map(Self::strings)
            .unwrap_or_else(|| vec![default.to_string()])
    }

    /// An error for each name in `names` that is not one of the `declared` roles (none when
    /// the pack declares no roles).
    fn declared_roles(&mut self, names: &[Text], declared: &[String], key: &str) {
        if declared.is_empty() {
            return;
        }
        for name in names {
            let role = name.get_ref();
            // An unfilled template placeholder is reported as a placeholder, once.
            if role.starts_with('[') || declared.contains(role) {
                continue;
            }
            let at = self.at(name.span());
            self.error(
                "unknown_role",
                at,
                format!(
                    "unknown role `{role}` in `{key}`, expected one of the declared roles: {}",
                    declared.join(", ")
                ),
            );
        }
    }

    /// Every role `[governance]` names, and the default it falls back on where it names
    /// none, must be declared: a role nobody may hold leaves its actions to nobody.
    fn governance_roles(&mut self, g: &RawGovernance, declared: &[String], roles_at: Location) {
        let lists = [
            ("software_approvers", &g.software_approvers),
            ("device_approvers", &g.device_approvers),
            ("social_media_approvers", &g.social_media_approvers),
        ];
        for (key, list) in lists {
            self.declared_roles(list, declared, key);
        }
        if let Some(list) = &g.access_approvers {
            self.declared_roles(list, declared, "access_approvers");
        }
        if let Some(list) = &g.auditor_roles {
            self.declared_roles(list, declared, "auditor_roles");
        }
        if let Some(role) = &g.safeguarding_role {
            self.declared_roles(std::slice::from_ref(role), declared, "safeguarding_role");
        }
        let defaulted = [
            ("register_roles", &g.register_roles, REGISTER_ROLE),
            (
                "data_protection_roles",
                &g.data_protection_roles,
                DATA_PROTECTION_ROLE,
            ),
            ("compliance_roles", &g.compliance_roles, COMPLIANCE_ROLE),
        ];
        for (key, list, default) in defaulted {
            match list {
                Some(list) => self.declared_roles(list, declared, key),
                None if !declared.is_empty() && !declared.iter().any(|d| d == default) => {
                    self.error(
                        "unknown_role",
                        roles_at,
                        format!(
                            "[governance] `{key}` is not given, so it is `{default}`, which is not a declared role: declare `{default}` in [organisation] roles or set `{key}`"
                        ),
                    );
                }
                None => {}
            }
        }
    }

    fn pack(&mut self, mut raw: RawPack) -> Pack {
        let timezone = raw
            .policy
            .timezone
            .as_ref()
            .map_or_else(|| "Europe/London".to_string(), |t| t.get_ref().clone());
        let tz = match TimeZone::get(&timezone) {
            Ok(tz) => tz,
            Err(_) => {
                let at = raw
                    .policy
                    .timezone
                    .as_ref()
                    .map_or_else(Location::default, |t| self.at(t.span()));
                self.error(
                    "bad_timezone",
                    at,
                    format!("unknown time zone `{timezone}`, expected an IANA name such as Europe/London"),
                );
                TimeZone::UTC
            }
        };
        let windows = self.windows(tz, raw.hours, raw.windows);
        let meta = Meta {
            review_due: raw
                .policy
                .review_due
                .as_ref()
                .and_then(|d| self.date("review_due", d)),
            last_reviewed: raw
                .policy
                .last_reviewed
                .as_ref()
                .and_then(|d| self.date("last_reviewed", d)),
            review_location: raw
                .policy
                .review_due
                .as_ref()
                .or(raw.policy.last_reviewed.as_ref())
                .map_or_else(|| self.at(raw.policy.id.span()), |d| self.at(d.span())),
            id: raw.policy.id.into_inner(),
            title: raw.policy.title.into_inner(),
            source: raw.policy.source.into_inner(),
            version: raw.policy.version.map(Spanned::into_inner),
            owner: raw.policy.owner.map(Spanned::into_inner),
            timezone,
        };
        let o = raw.organisation;
        let roles_at = o
            .roles
            .as_ref()
            .map_or_else(|| self.at(o.name.span()), |r| self.at(r.span()));
        let declared: Vec<String> = o
            .roles
            .map(|r| Self::strings(r.into_inner()))
            .unwrap_or_default();
        let organisation = Organisation {
            name: o.name.into_inner(),
            registered_number: o.registered_number.map(Spanned::into_inner),
            domains: Self::strings(o.domains)
                .into_iter()
                .map(|d| d.to_ascii_lowercase())
                .collect(),
            address: o.address.map(Spanned::into_inner),
            phone: o.phone.map(Spanned::into_inner),
            email: o.email.map(Spanned::into_inner),
            website: o.website.map(Spanned::into_inner),
            contact: o.contact.map(Spanned::into_inner),
            roles: declared,
        };
        let mail = self.mail(raw.mail, &organisation.domains);
        let monitoring = self.monitoring(raw.monitoring);
        let passwords = raw.passwords.and_then(|p| self.passwords(p));
        let known_windows = if windows.iter().next().is_none() {
            "(none: add [hours] or [windows])".to_string()
        } else {
            windows
                .iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let rules = raw
            .rules
            .into_iter()
            .filter_map(|r| {
                self.rule(
                    r,
                    &windows,
                    &known_windows,
                    &raw.web.url_lists,
                    &organisation.roles,
                )
            })
            .collect();
        let sensitive_terms = self.sensitive_terms(std::mem::take(&mut raw.web.sensitive_terms));
        let search_engines = std::mem::take(&mut raw.web.search_engines)
            .into_iter()
            .filter_map(|e| self.search_engine(e))
            .collect();
        let web_lists = self.web_lists(std::mem::take(&mut raw.web.lists));
        let g = raw.governance;
        self.governance_roles(&g, &organisation.roles, roles_at);
        for address in &raw.accounts.addresses {
            let applies_to = std::slice::from_ref(&address.get_ref().applies_to);
            self.declared_roles(applies_to, &organisation.roles, "applies_to");
        }
        let governance = Governance {
            acknowledge_before_use: g.acknowledge_before_use,
            briefing_every_months: self.count("briefing_every_months", &g.briefing_every_months),
            induction: g.induction,
            safeguarding_role: g.safeguarding_role.map(Spanned::into_inner),
            software_approvers: Self::strings(g.software_approvers.clone()),
            device_approvers: Self::strings(g.device_approvers),
            social_media_approvers: Self::strings(g.social_media_approvers),
            access_approvers: match g.access_approvers {
                Some(list) => Self::strings(list),
                None => Self::strings(g.software_approvers.clone()),
            },
            register_roles: Self::roles_or(g.register_roles, REGISTER_ROLE),
            data_protection_roles: Self::roles_or(g.data_protection_roles, DATA_PROTECTION_ROLE),
            compliance_roles: Self::roles_or(g.compliance_roles, COMPLIANCE_ROLE),
            // A pack need not have an auditor: the default names a role nobody may hold
            // unless the pack declares it, so it is not refused as undeclared.
            auditor_roles: Self::roles_or(g.auditor_roles, AUDITOR_ROLE),
            breach_contact: g.breach_contact.map(Spanned::into_inner),
            subject_request_contact: g.subject_request_contact.map(Spanned::into_inner),
            report_to: g.report_to.map(Spanned::into_inner),
        };
        Pack {
            file: self.file.to_string(),
            meta,
            organisation,
            windows,
            mail,
            web: WebSettings {
                block_page_contact: raw.web.block_page_contact.map(Spanned::into_inner),
                url_lists: raw
                    .web
                    .url_lists
                    .into_iter()
                    .map(|(k, v)| (k, v.into_inner()))
                    .collect(),
                sensitive_terms,
                search_engines,
                lists: web_lists,
            },
            monitoring,
            passwords,
            address_formats: raw
                .accounts
                .addresses
                .into_iter()
                .map(Spanned::into_inner)
                .map(|a| AddressFormat {
                    applies_to: a.applies_to.into_inner(),
                    format: a.format.into_inner(),
                    clause: a.clause.map(Spanned::into_inner),
                })
                .collect(),
            governance,
            rules,
        }
    }

    /// One `[[web.search_engines]]` entry: a host name without scheme or path, a path that
    /// starts with `/`, a parameter name.
    fn search_engine(&mut self, spanned: Spanned<RawSearchEngine>) -> Option<SearchEngine> {
        let at = self.at(spanned.span());
        let raw = spanned.into_inner();
        let host = raw
            .host
            .get_ref()
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
        let path = raw.path.map(Spanned::into_inner);
        let path_ok = path.as_deref().is_none_or(|p| p.starts_with('/'));
        let param = raw.param.into_inner();
        let param_ok = !param.is_empty()
            && param
                .bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'&' | b'=' | b'#' | b'?'));
        if !(host_ok && path_ok && param_ok) {
            self.error(
                "bad_search_engine",
                at,
                format!(
                    "bad [[web.search_engines]] entry: `host` is a host name such as \
                     `search.example.org` (no scheme or path), `path` starts with `/`, `param` \
                     is a query parameter such as `q` (got host `{}`, path `{}`, param `{param}`)",
                    raw.host.get_ref(),
                    path.as_deref().unwrap_or("")
                ),
            );
            return None;
        }
        Some(SearchEngine {
            name: raw.name.map_or_else(|| host.clone(), Spanned::into_inner),
            host,
            path,
            param,
        })
    }

    /// `[web.lists]`: each key a category, each value hosts or `host/path` prefixes without
    /// a scheme.
    fn web_lists(
        &mut self,
        raw: BTreeMap<String, Spanned<Vec<Text>>>,
    ) -> BTreeMap<Category, Vec<String>> {
        let mut lists = BTreeMap::new();
        for (name, entries) in raw {
            let at = self.at(entries.span());
            let Ok(category) = name.parse::<Category>() else {
                let err = name.parse::<Category>().err().map(|e| e.to_string());
                self.error(
                    "unknown_category",
                    at,
                    format!("[web.lists]: {}", err.unwrap_or_default()),
                );
                continue;
            };
            let mut out: Vec<String> = Vec::new();
            for entry in entries.into_inner() {
                let text = entry.get_ref().trim();
                if text.is_empty() || text.contains("://") || text.contains(char::is_whitespace) {
                    let at = self.at(entry.span());
                    self.error(
                        "bad_list_entry",
                        at,
                        format!(
                            "bad [web.lists] {name} entry `{}`: give a host (`example.org`) or a \
                             host and path (`example.org/page`), without `https://`",
                            entry.get_ref()
                        ),
                    );
                    continue;
                }
                out.push(text.to_string());
            }
            lists.insert(category, out);
        }
        lists
    }

    fn windows(
        &mut self,
        tz: TimeZone,
        hours: Option<RawHours>,
        custom: BTreeMap<String, Spanned<RawWindow>>,
    ) -> Windows {
        let mut windows = Windows::new(tz);
        let mut personal_use = Vec::new();
        if let Some(hours) = hours {
            let working = self.span(hours.working.get_ref(), Days::WEEKDAYS);
            let working_days = working.map_or(Days::WEEKDAYS, |w| w.days);
            let breaks: Vec<Span> = hours
                .breaks
                .iter()
                .filter_map(|b| self.span(b.get_ref(), working_days))
                .collect();
            // A bad `working` span is already an error; keep the names so that rules using
            // them do not report a second, misleading error.
            let working = Window::Spans(working.into_iter().collect());
            windows.insert(
                "outside_working",
                Window::Outside(Box::new(working.clone())),
            );
            windows.insert("working", working);
            windows.insert("breaks", Window::Spans(breaks));
            personal_use = hours.personal_use;
        }
        for (name, raw) in &custom {
            if BUILT_IN_WINDOWS.contains(&name.as_str()) {
                let at = self.at(raw.span());
                self.error(
                    "duplicate_window",
                    at,
                    format!("window `{name}` is built in; choose another name"),
                );
                continue;
            }
            let spans = match raw.get_ref() {
                RawWindow::One(span) => vec![self.span(span, Days::ALL)],
                RawWindow::Many(spans) => spans.iter().map(|s| self.span(s, Days::ALL)).collect(),
            };
            let spans: Option<Vec<Span>> = spans.into_iter().collect();
            if let Some(spans) = spans {
                windows.insert(name.clone(), Window::Spans(spans));
            }
        }
        if !personal_use.is_empty() {
            let mut parts = Vec::new();
            for name in &personal_use {
                match windows.get(name.get_ref()) {
                    Some(window) => parts.push(window.clone()),
                    None => {
                        let at = self.at(name.span());
                        self.error(
                            "unknown_window",
                            at,
                            format!("unknown window `{}` in `personal_use`", name.get_ref()),
                        );
                    }
                }
            }
            windows.insert("personal_use", Window::Any(parts));
        }
        windows
    }

    /// Longest `[web] sensitive_terms` entry, in bytes.
    const MAX_SENSITIVE_TERM: usize = 200;

    /// `[web] sensitive_terms`: each a name or phrase of 2 to 200 bytes, kept lowercased with
    /// white space folded, as the upload text is when they are looked for.
    fn sensitive_terms(&mut self, raw: Vec<Text>) -> Vec<String> {
        let mut terms = Vec::new();
        for term in raw {
            let location = self.at(term.span());
            let folded = term
                .get_ref()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_ascii_lowercase();
            if folded.len() < 2 || folded.len() > Self::MAX_SENSITIVE_TERM {
                self.error(
                    "sensitive_term",
                    location,
                    format!(
                        "[web] sensitive_terms entry `{}` must be 2 to {} bytes",
                        term.get_ref().chars().take(40).collect::<String>(),
                        Self::MAX_SENSITIVE_TERM
                    ),
                );
                continue;
            }
            if !terms.contains(&folded) {
                terms.push(folded);
            }
        }
        terms
    }

    fn mail(&mut self, raw: RawMail, org_domains: &[String]) -> MailSettings {
        let lower = |list: Vec<Text>| -> Vec<String> {
            list.into_iter()
                .map(|t| t.into_inner().to_ascii_lowercase())
                .collect()
        };
        let internal = lower(raw.internal_domains);
        MailSettings {
            disclaimer: raw.disclaimer.map(Spanned::into_inner),
            add_disclaimer: raw.add_disclaimer,
            company_details: Self::strings(raw.company_details),
            group_addresses: lower(raw.group_addresses),
            personal_labels: raw.personal_labels.map_or_else(
                || vec!["personal".to_string(), "private".to_string()],
                lower,
            ),
            personal_webmail_domains: raw.personal_webmail_domains.map_or_else(
                || DEFAULT_WEBMAIL.iter().map(|d| d.to_string()).collect(),
                lower,
            ),
            internal_domains: if internal.is_empty() {
                org_domains.to_vec()
            } else {
                internal
            },
        }
    }

    fn monitoring(&mut self, raw: RawMonitoring) -> Monitoring {
        Monitoring {
            retention_months: self.count("retention_months", &raw.retention_months),
            clause: raw.clause.map(Spanned::into_inner),
            quote: raw.quote.map(Spanned::into_inner),
        }
    }

    fn passwords(&mut self, raw: RawPasswords) -> Option<Passwords> {
        let location = self.at(raw.change.span());
        let change = match raw.change.get_ref().as_str() {
            "periodic" => PasswordChange::Periodic,
            "on_compromise" => PasswordChange::OnCompromise,
            other => {
                self.error(
                    "bad_value",
                    location,
                    format!(
                        "bad password `change` `{other}`, expected `periodic` or `on_compromise`"
                    ),
                );
                return None;
            }
        };
        Some(Passwords {
            change,
            clause: raw.clause.into_inner(),
            quote: raw.quote.into_inner(),
            mfa_required: raw.mfa_required,
            location,
        })
    }

    fn rule(
        &mut self,
        spanned: Spanned<RawRule>,
        windows: &Windows,
        known_windows: &str,
        url_lists: &BTreeMap<String, Text>,
        declared_roles: &[String],
    ) -> Option<Rule> {
        let location = self.at(spanned.span());
        let raw = spanned.into_inner();
        let errors_before = self.errors.len();
        self.declared_roles(&raw.roles, declared_roles, "roles");
        self.declared_roles(&raw.except_roles, declared_roles, "except_roles");
        let on: Option<Area> = self.word("unknown_area", &raw.on);
        let action: Option<Verdict> = self.word("unknown_action", &raw.action);
        let severity: Option<Severity> = self.word("unknown_severity", &raw.severity);
        let direction: Option<Direction> = match &raw.direction {
            Some(d) => self.word("unknown_direction", d),
            None => None,
        };
        let categories: CategorySet = raw
            .categories
            .iter()
            .filter_map(|c| self.word::<Category>("unknown_category", c))
            .collect();
        let checks: Vec<Check> = raw
            .checks
            .iter()
            .filter_map(|c| self.word::<Check>("unknown_check", c))
            .collect();
        let phrase_lists: Vec<PhraseList> = raw
            .phrase_lists
            .iter()
            .filter_map(|c| self.word::<PhraseList>("unknown_phrase_list", c))
            .collect();
        let id = raw.id.get_ref().clone();
        if !raw.phrase_lists.is_empty() && !checks.contains(&Check::SearchTerm) {
            self.error(
                "key_check",
                location,
                format!(
                    "`phrase_lists` applies only to rules with `checks = [\"search_term\"]`, and \
                     rule `{id}` has none"
                ),
            );
        }
        if let Some(area) = on {
            for (check, text) in checks.iter().zip(&raw.checks) {
                if check.area() != area {
                    let at = self.at(text.span());
                    self.error(
                        "check_area",
                        at,
                        format!(
                            "check `{check}` is a {} check but rule `{id}` is on {area}",
                            check.area()
                        ),
                    );
                }
            }
            let web_only = [
                ("categories", !raw.categories.is_empty()),
                ("url_lists", !raw.url_lists.is_empty()),
                ("max_download_mb", raw.max_download_mb.is_some()),
            ];
            if !raw.networks.is_empty()
                && !raw.checks.iter().any(|c| c.get_ref() == "unknown_network")
            {
                self.error(
                    "key_area",
                    location,
                    format!("`networks` applies only to rules with the `unknown_network` check, and rule `{id}` has none"),
                );
            }
            if raw.networks.is_empty()
                && raw.checks.iter().any(|c| c.get_ref() == "unknown_network")
            {
                self.error(
                    "missing_networks",
                    location,
                    format!("rule `{id}` checks `unknown_network`: list the authorised networks in `networks`"),
                );
            }
            let mail_only = [
                ("direction", raw.direction.is_some()),
                ("max_recipients", raw.max_recipients.is_some()),
            ];
            for (key, present) in web_only {
                if present && area != Area::Web {
                    self.error(
                        "key_area",
                        location,
                        format!("`{key}` applies only to web rules, and rule `{id}` is on {area}"),
                    );
                }
            }
            for (key, present) in mail_only {
                if present && area != Area::Mail {
                    self.error(
                        "key_area",
                        location,
                        format!("`{key}` applies only to mail rules, and rule `{id}` is on {area}"),
                    );
                }
            }
            if raw.categories.is_empty() && raw.url_lists.is_empty() && raw.checks.is_empty() {
                self.error(
                    "empty_rule",
                    location,
                    format!(
                        "rule `{id}` matches nothing: give it `categories`, `url_lists` or `checks`"
                    ),
                );
            }
        }
        for list in &raw.url_lists {
            if !url_lists.contains_key(list.get_ref()) {
                let at = self.at(list.span());
                self.error(
                    "unknown_url_list",
                    at,
                    format!(
                        "unknown URL list `{}`; declare it under [web.url_lists]",
                        list.get_ref()
                    ),
                );
            }
        }
        let window = match (&raw.during, &raw.outside) {
            (Some(_), Some(o)) => {
                let at = self.at(o.span());
                self.error(
                    "window_conflict",
                    at,
                    format!("rule `{id}` has both `during` and `outside`; give one"),
                );
                None
            }
            (Some(name), None) | (None, Some(name)) => {
                if windows.get(name.get_ref()).is_none() {
                    let at = self.at(name.span());
                    self.error(
                        "unknown_window",
                        at,
                        format!(
                            "unknown window `{}`, expected one of: {known_windows}",
                            name.get_ref(),
                        ),
                    );
                }
                Some(if raw.during.is_some() {
                    WindowCondition::During(name.get_ref().clone())
                } else {
                    WindowCondition::Outside(name.get_ref().clone())
                })
            }
            (None, None) => None,
        };
        let max_recipients = self.count("max_recipients", &raw.max_recipients);
        let max_download_mb = self.count("max_download_mb", &raw.max_download_mb);
        let max_minutes_per_day = self.count("max_minutes_per_day", &raw.max_minutes_per_day);
        let max_messages_per_day = self.count("max_messages_per_day", &raw.max_messages_per_day);
        let model_threshold = self.model_threshold(&id, &raw);
        if self.errors.len() > errors_before {
            return None;
        }
        Some(Rule {
            id,
            clause: raw.clause.map(Spanned::into_inner),
            quote: raw.quote.map(Spanned::into_inner),
            on: on?,
            categories,
            checks,
            url_lists: Self::strings(raw.url_lists),
            phrase_lists,
            window,
            roles: Self::strings(raw.roles),
            except_roles: Self::strings(raw.except_roles),
            direction,
            max_recipients,
            max_download_mb,
            max_minutes_per_day,
            max_messages_per_day,
            model_threshold,
            networks: Self::strings(raw.networks),
            action: action?,
            severity: severity?,
            alert: Self::strings(raw.alert),
            message: raw.message.map(Spanned::into_inner),
            location,
        })
    }
}

/// `[governance] register_roles` when a pack names none.
const REGISTER_ROLE: &str = "hr";
/// `[governance] data_protection_roles` when a pack names none.
const DATA_PROTECTION_ROLE: &str = "dpo";
/// `[governance] compliance_roles` when a pack names none.
const COMPLIANCE_ROLE: &str = "compliance";
const AUDITOR_ROLE: &str = "auditor";

/// Personal webmail services, used when a pack does not list its own.
const DEFAULT_WEBMAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "hotmail.co.uk",
    "outlook.com",
    "live.com",
    "live.co.uk",
    "yahoo.com",
    "yahoo.co.uk",
    "icloud.com",
    "me.com",
    "aol.com",
    "gmx.com",
    "proton.me",
    "protonmail.com",
    "btinternet.com",
    "sky.com",
    "virginmedia.com",
];

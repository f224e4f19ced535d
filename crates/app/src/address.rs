//! Email addresses made by a pack's naming convention (`[[accounts.address]]`), such as
//! IIMTS's `{first}.{last}` for management, `{first}.{location}` for other staff and
//! `{department}.{location}` for external stakeholders.

use serde::Serialize;

use charter_policy::AddressFormat;

use crate::error::{Error, Result};

/// The parts of a person a format may use.
#[derive(Debug, Clone, Default)]
pub struct NameParts<'a> {
    /// Given name.
    pub first: &'a str,
    /// Family name.
    pub last: &'a str,
    /// Department (`hr`).
    pub department: Option<&'a str>,
    /// Code of the geographical location (`uk`).
    pub location: Option<&'a str>,
}

/// An address and how it was chosen.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MadeAddress {
    /// The full address.
    pub address: String,
    /// Why this one: the format used and, after a collision, what was taken and what changed.
    pub explanation: String,
}

/// Lower-case ASCII letters and digits only: spaces, apostrophes and hyphens go, common
/// accented Latin letters lose their accent (`Zoë O'Brien-Smith` → `zoe`, `obriensmith`).
pub fn normalise(part: &str) -> String {
    let mut out = String::new();
    for c in part.chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
            'ç' | 'ć' | 'č' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ē' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
            'ñ' | 'ń' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
            'ý' | 'ÿ' => 'y',
            'ß' => {
                out.push('s');
                's'
            }
            c => c,
        };
        if plain.is_ascii_alphanumeric() {
            out.push(plain);
        }
    }
    out
}

/// The format for someone with `roles`: the first whose `applies_to` is one of the roles,
/// else the one for `staff`.
pub fn format_for<'f, S: AsRef<str>>(
    formats: &'f [AddressFormat],
    roles: &[S],
) -> Option<&'f AddressFormat> {
    formats
        .iter()
        .find(|f| roles.iter().any(|r| r.as_ref() == f.applies_to))
        .or_else(|| formats.iter().find(|f| f.applies_to == "staff"))
}

/// Literal text of a format: letters, digits and the separators `.`, `-`, `_`.
fn literal(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The local part the format gives, before collisions.
pub fn local_part(format: &str, parts: &NameParts<'_>) -> Result<String> {
    let mut out = String::new();
    let mut rest = format;
    while let Some(open) = rest.find('{') {
        out.push_str(&literal(&rest[..open]));
        let Some(close) = rest[open..].find('}') else {
            return Err(Error::Refused(format!(
                "bad address format: unclosed `{{` in `{format}`"
            )));
        };
        let field = &rest[open + 1..open + close];
        let value = match field {
            "first" => Some(parts.first),
            "last" => Some(parts.last),
            "department" => parts.department,
            "location" => parts.location,
            other => {
                return Err(Error::Refused(format!(
                    "bad address format: unknown field `{{{other}}}` in `{format}`"
                )));
            }
        };
        let value = value.map(normalise).unwrap_or_default();
        if value.is_empty() {
            return Err(Error::Refused(format!(
                "the address format `{format}` needs `{field}`, and this person has none"
            )));
        }
        out.push_str(&value);
        rest = &rest[open + close + 1..];
    }
    out.push_str(&literal(rest));
    Ok(out)
}

/// Makes an address at `domain`, choosing the first free one: the format's own, then with
/// `2`, `3`, ... appended. `taken` tells whether an address is in use and by whom.
pub fn make(
    format: &AddressFormat,
    parts: &NameParts<'_>,
    domain: &str,
    taken: impl Fn(&str) -> Option<String>,
) -> Result<MadeAddress> {
    let base = local_part(&format.format, parts)?;
    let clause = format
        .clause
        .as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let first = format!("{base}@{domain}");
    let Some(holder) = taken(&first) else {
        return Ok(MadeAddress {
            address: first,
            explanation: format!("`{}` for {}{clause}", format.format, format.applies_to),
        });
    };
    for n in 2..1000 {
        let candidate = format!("{base}{n}@{domain}");
        if taken(&candidate).is_none() {
            return Ok(MadeAddress {
                address: candidate,
                explanation: format!(
                    "`{}` for {}{clause} gives {first}, which is taken by {holder}; \
                     the policy sets no rule for collisions, so the first free number was added",
                    format.format, format.applies_to
                ),
            });
        }
    }
    Err(Error::Refused(format!(
        "no free address from `{}`: {first} and 999 numbered variants are taken",
        format.format
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(applies_to: &str, format: &str) -> AddressFormat {
        AddressFormat {
            applies_to: applies_to.into(),
            format: format.into(),
            clause: Some("Email ID creation".into()),
        }
    }

    fn smith() -> NameParts<'static> {
        NameParts {
            first: "Smith",
            last: "Brown",
            department: Some("HR"),
            location: Some("UK"),
        }
    }

    #[test]
    fn management_first_last() {
        let a = make(
            &fmt("management", "{first}.{last}"),
            &smith(),
            "iimtsab.co.uk",
            |_| None,
        );
        assert_eq!(
            a.ok().map(|a| a.address).as_deref(),
            Some("smith.brown@iimtsab.co.uk")
        );
    }

    #[test]
    fn staff_first_location() {
        let a = make(
            &fmt("staff", "{first}.{location}"),
            &smith(),
            "iimtsab.co.uk",
            |_| None,
        );
        assert_eq!(
            a.ok().map(|a| a.address).as_deref(),
            Some("smith.uk@iimtsab.co.uk")
        );
    }

    #[test]
    fn external_department_location() {
        let a = make(
            &fmt("external", "{department}.{location}"),
            &smith(),
            "iimtsab.co.uk",
            |_| None,
        );
        assert_eq!(
            a.ok().map(|a| a.address).as_deref(),
            Some("hr.uk@iimtsab.co.uk")
        );
    }

    #[test]
    fn collision_takes_next_number_and_says_why() {
        let a = make(
            &fmt("staff", "{first}.{location}"),
            &smith(),
            "x.uk",
            |addr| (addr == "smith.uk@x.uk").then(|| "person 1".to_string()),
        );
        let a = a.ok();
        assert_eq!(
            a.as_ref().map(|a| a.address.as_str()),
            Some("smith.uk2@x.uk")
        );
        assert!(a.is_some_and(|a| a.explanation.contains("taken by person 1")));
    }

    #[test]
    fn accents_and_apostrophes() {
        assert_eq!(normalise("Zoë O'Brien-Smith"), "zoeobriensmith");
    }

    #[test]
    fn missing_field_is_an_error() {
        let parts = NameParts {
            first: "A",
            last: "B",
            department: None,
            location: None,
        };
        assert!(local_part("{first}.{location}", &parts).is_err());
    }

    #[test]
    fn odd_formats_and_names_never_panic() {
        for format in [
            "",
            "{",
            "}",
            "{first",
            "{}",
            "{first}{",
            "x{last}.{nope}",
            "{first}.{last}",
            "ü{first}é",
        ] {
            for name in ["", " ", "é", "\u{0}", "O'Brien-Smith", "李", "a\u{301}"] {
                let parts = NameParts {
                    first: name,
                    last: name,
                    department: Some(name),
                    location: Some(name),
                };
                let _ = local_part(format, &parts);
            }
        }
    }

    #[test]
    fn role_picks_format() {
        let formats = vec![
            fmt("management", "{first}.{last}"),
            fmt("staff", "{first}.{location}"),
        ];
        assert_eq!(
            format_for(&formats, &["management"]).map(|f| f.applies_to.as_str()),
            Some("management")
        );
        assert_eq!(
            format_for(&formats, &["marketing"]).map(|f| f.applies_to.as_str()),
            Some("staff")
        );
    }
}

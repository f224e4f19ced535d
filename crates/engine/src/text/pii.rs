//! Personal data scanners: National Insurance numbers, payment card numbers, sort codes with
//! account numbers and dates of birth, on normalised (lowercased) text.
//!
//! Each scanner applies the format's own rules so that order numbers and phone numbers do not
//! count: NINO prefixes HMRC never issues, card numbers failing Luhn or with no issuer prefix.

/// How many of each kind of personal data a text holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PiiCounts {
    /// National Insurance numbers.
    pub nino: u32,
    /// Payment card numbers (Luhn-valid with a known issuer prefix).
    pub cards: u32,
    /// Sort codes with an account number near them.
    pub bank_accounts: u32,
    /// Dates of birth.
    pub dates_of_birth: u32,
}

impl PiiCounts {
    /// Whether anything was found.
    pub fn any(&self) -> bool {
        self.nino + self.cards + self.bank_accounts + self.dates_of_birth > 0
    }

    /// "2 National Insurance numbers, 1 payment card number": counts, never the values.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        let mut add = |n: u32, one: &str, many: &str| {
            if n > 0 {
                parts.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        };
        add(
            self.nino,
            "National Insurance number",
            "National Insurance numbers",
        );
        add(self.cards, "payment card number", "payment card numbers");
        add(
            self.bank_accounts,
            "sort code with account number",
            "sort codes with account numbers",
        );
        add(self.dates_of_birth, "date of birth", "dates of birth");
        parts.join(", ")
    }
}

/// Scans normalised `text` for every kind of personal data, in one pass over its words.
pub fn scan(text: &str) -> PiiCounts {
    let b = text.as_bytes();
    let mut counts = PiiCounts {
        dates_of_birth: count_dobs(b),
        ..PiiCounts::default()
    };
    let mut digits = Vec::with_capacity(20);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if !c.is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        // `i` starts a word unless a non-ASCII letter runs into it.
        let starts_word = boundary_before(b, i);
        if starts_word && c.is_ascii_alphabetic() {
            if let Some(end) = nino_at(b, i) {
                counts.nino += 1;
                i = end;
                continue;
            }
        } else if starts_word {
            if let Some(end) = sort_code_at(b, i) {
                let before = i.saturating_sub(NEAR);
                if account_number_in(b, end, end + NEAR) || account_number_in(b, before, i) {
                    counts.bank_accounts += 1;
                }
                i = end;
                continue;
            }
            if let Some(end) = card_at(b, i, &mut digits) {
                counts.cards += 1;
                i = end;
                continue;
            }
        }
        // Skip the rest of the word.
        while i < b.len() && is_alnum(b[i]) {
            i += 1;
        }
    }
    counts
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

fn boundary_before(b: &[u8], i: usize) -> bool {
    i == 0 || !is_alnum(b[i - 1])
}

fn boundary_after(b: &[u8], i: usize) -> bool {
    i >= b.len() || !is_alnum(b[i])
}

/// Whether `first second` can start a National Insurance number (HMRC's allocation rules).
pub fn nino_prefix_valid(first: u8, second: u8) -> bool {
    let (first, second) = (first.to_ascii_lowercase(), second.to_ascii_lowercase());
    if !first.is_ascii_lowercase() || !second.is_ascii_lowercase() {
        return false;
    }
    if b"dfiquv".contains(&first) || b"dfioquv".contains(&second) {
        return false;
    }
    !matches!(
        [first, second],
        [b'b', b'g']
            | [b'g', b'b']
            | [b'k', b'n']
            | [b'n', b'k']
            | [b'n', b't']
            | [b't', b'n']
            | [b'z', b'z']
    )
}

/// Parses a NINO starting at `i` (`ab123456c` or `ab 12 34 56 c`); returns its end.
fn nino_at(b: &[u8], i: usize) -> Option<usize> {
    // Most words are not NINOs: a digit (or a space then a digit) must follow two letters.
    let third = *b.get(i + 2)?;
    if !(third.is_ascii_digit() || (third == b' ' && b.get(i + 3).is_some_and(u8::is_ascii_digit)))
    {
        return None;
    }
    if i + 9 > b.len() || !nino_prefix_valid(b[i], b[i + 1]) {
        return None;
    }
    let mut j = i + 2;
    let spaced = b.get(j) == Some(&b' ');
    for _ in 0..3 {
        if spaced {
            if b.get(j) != Some(&b' ') {
                return None;
            }
            j += 1;
        }
        let (d1, d2) = (*b.get(j)?, *b.get(j + 1)?);
        if !d1.is_ascii_digit() || !d2.is_ascii_digit() {
            return None;
        }
        j += 2;
    }
    if spaced && b.get(j) == Some(&b' ') {
        j += 1;
    }
    let suffix = b.get(j)?.to_ascii_lowercase();
    if !(b'a'..=b'd').contains(&suffix) {
        return None;
    }
    j += 1;
    boundary_after(b, j).then_some(j)
}

/// Whether the digits pass the Luhn check.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (k, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if k % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

fn prefix_num(digits: &[u8], n: usize) -> u32 {
    digits[..n]
        .iter()
        .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

/// Whether a card number of this length with this prefix is issued by a known scheme.
pub fn issuer_known(digits: &[u8]) -> bool {
    let len = digits.len();
    if len < 13 {
        return false;
    }
    let p1 = prefix_num(digits, 1);
    let p2 = prefix_num(digits, 2);
    let p3 = prefix_num(digits, 3);
    let p4 = prefix_num(digits, 4);
    let p6 = prefix_num(digits, 6);
    let visa = p1 == 4 && matches!(len, 13 | 16 | 19);
    let mastercard = ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && len == 16;
    let amex = (p2 == 34 || p2 == 37) && len == 15;
    let discover =
        (p4 == 6011 || p2 == 65 || (644..=649).contains(&p3) || (622126..=622925).contains(&p6))
            && (16..=19).contains(&len);
    let jcb = (3528..=3589).contains(&p4) && (16..=19).contains(&len);
    let diners =
        ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&len);
    let maestro = matches!(p4, 5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761..=6763)
        && (13..=19).contains(&len);
    let unionpay = p2 == 62 && (16..=19).contains(&len);
    visa || mastercard || amex || discover || jcb || diners || maestro || unionpay
}

/// A card number starting at `i` (digits with single spaces or dashes); returns its end.
fn card_at(b: &[u8], i: usize, digits: &mut Vec<u8>) -> Option<usize> {
    digits.clear();
    let mut j = i;
    let mut sep = None;
    while j < b.len() && digits.len() <= 19 {
        let c = b[j];
        if c.is_ascii_digit() {
            digits.push(c);
            j += 1;
        } else if (c == b' ' || c == b'-')
            && j + 1 < b.len()
            && b[j + 1].is_ascii_digit()
            && sep.is_none_or(|s| s == c)
        {
            sep = Some(c);
            j += 1;
        } else {
            break;
        }
    }
    ((13..=19).contains(&digits.len())
        && boundary_after(b, j)
        && issuer_known(digits)
        && luhn(digits)
        && !digits.iter().all(|d| *d == digits[0]))
    .then_some(j)
}

/// A sort code `12-34-56` at `i`; returns its end.
fn sort_code_at(b: &[u8], i: usize) -> Option<usize> {
    let s = b.get(i..i + 8)?;
    let ok = s[0].is_ascii_digit()
        && s[1].is_ascii_digit()
        && s[2] == b'-'
        && s[3].is_ascii_digit()
        && s[4].is_ascii_digit()
        && s[5] == b'-'
        && s[6].is_ascii_digit()
        && s[7].is_ascii_digit();
    (ok && boundary_before(b, i) && boundary_after(b, i + 8) && b.get(i + 8) != Some(&b'-'))
        .then_some(i + 8)
}

/// Whether an 8-digit account number stands alone within `range` of `b`.
fn account_number_in(b: &[u8], from: usize, to: usize) -> bool {
    let to = to.min(b.len());
    let mut i = from;
    while i + 8 <= to {
        if b[i].is_ascii_digit() && boundary_before(b, i) {
            let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            if run == 8 && boundary_after(b, i + 8) && b.get(i + 8) != Some(&b'-') {
                return true;
            }
            i += run;
        } else {
            i += 1;
        }
    }
    false
}

const NEAR: usize = 60;

fn count_dobs(b: &[u8]) -> u32 {
    static CUES: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    let Some(cues) = CUES
        .get_or_init(|| {
            aho_corasick::AhoCorasick::new(["date of birth", "dob", "d.o.b", "born on"]).ok()
        })
        .as_ref()
    else {
        return 0;
    };
    cues.find_iter(b)
        .filter(|m| super::on_word_boundary(b, m.start(), m.end()))
        .filter(|m| has_date(&b[m.end()..(m.end() + 30).min(b.len())]))
        .count() as u32
}

/// Whether `w` holds a date with a plausible birth year (19xx or 20xx) and a day.
fn has_date(w: &[u8]) -> bool {
    let mut groups = 0;
    let mut year = false;
    let mut i = 0;
    while i < w.len() {
        if w[i].is_ascii_digit() {
            let run = w[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            if run == 4 && (w[i..].starts_with(b"19") || w[i..].starts_with(b"20")) {
                year = true;
            } else if run <= 2 {
                groups += 1;
            }
            i += run;
        } else {
            i += 1;
        }
    }
    year && groups >= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nino_plain_and_spaced() {
        assert_eq!(scan("ni number ab123456c please").nino, 1);
        assert_eq!(scan("ni: ab 12 34 56 c.").nino, 1);
    }

    #[test]
    fn nino_prefixes_hmrc_never_issues() {
        assert_eq!(scan("gb123456a").nino, 0);
        assert_eq!(scan("zz123456a").nino, 0);
        assert_eq!(scan("da123456a").nino, 0);
        assert_eq!(scan("ao123456a").nino, 0);
    }

    #[test]
    fn nino_needs_a_suffix_a_to_d() {
        assert_eq!(scan("ab123456e").nino, 0);
        assert_eq!(scan("ab1234567c").nino, 0);
    }

    #[test]
    fn card_with_luhn_and_issuer() {
        assert_eq!(scan("card 4111 1111 1111 1111 exp").cards, 1);
        assert_eq!(scan("card 5555-5555-5555-4444").cards, 1);
        assert_eq!(scan("amex 378282246310005").cards, 1);
    }

    #[test]
    fn card_failing_luhn_is_not_a_card() {
        assert_eq!(scan("order 4111 1111 1111 1112").cards, 0);
    }

    #[test]
    fn luhn_valid_number_without_an_issuer_is_not_a_card() {
        // 1234567812345670 passes Luhn but no scheme issues numbers starting 1.
        assert!(luhn(b"1234567812345670"));
        assert_eq!(scan("ref 1234567812345670").cards, 0);
    }

    #[test]
    fn sort_code_needs_an_account_number() {
        assert_eq!(scan("sort code 20-00-00 account 12345678").bank_accounts, 1);
        assert_eq!(scan("call 20-00-00 about it").bank_accounts, 0);
    }

    #[test]
    fn date_of_birth() {
        assert_eq!(
            scan("name: jo bloggs, date of birth: 01/02/1980").dates_of_birth,
            1
        );
        assert_eq!(scan("dob 3 march 1975").dates_of_birth, 1);
        assert_eq!(scan("the dob field is empty").dates_of_birth, 0);
    }

    #[test]
    fn summary_counts_without_values() {
        let s = scan("ab123456c and 4111111111111111");
        assert_eq!(
            s.summary(),
            "1 National Insurance number, 1 payment card number"
        );
    }
}

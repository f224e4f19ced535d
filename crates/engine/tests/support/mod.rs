//! What the corpus test and the mail benchmark share: a pack with every mail check on.
//! The benchmark includes this file by path.

/// A pack with every mail check on.
pub fn every_check_pack() -> String {
    let checks = charter_policy::Check::ALL
        .iter()
        .filter(|c| c.area() == charter_policy::Area::Mail)
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"
[policy]
id = "all"
title = "all"
source = "all"
[organisation]
name = "Example Ltd"
registered_number = "01234567"
domains = ["example.com", "spamassassin.taint.org"]
[mail]
disclaimer = "{FOOTER}"
add_disclaimer = true
company_details = ["01234567"]
group_addresses = ["all-staff@example.com"]
[[rule]]
id = "all"
clause = "all"
on = "mail"
checks = [{checks}]
max_recipients = 10
action = "hold"
severity = "concern"
"#
    )
}

/// The pack's disclaimer: `=` and `%` make quoted-printable footers escape something.
pub const FOOTER: &str =
    "Example Ltd, registered in England 01234567. Views = the sender's; 100% theirs.";

//! Demo Training Ltd's 25 people, their accounts and dashboard logins, and the registers and
//! workflows a month leaves behind: the policy signed (not by everyone), devices, software
//! requests, incidents, a breach, a subject request, a leaver. Every change goes through the
//! app, as the person whose job it is.

use anyhow::Context as _;
use jiff::{Timestamp, ToSpan as _};

use charter_app::App;
use charter_app::users::generate_password;
use charter_store::{
    AckKind, Actor, AuthorisationKind, IncidentKind, NewBreach, NewDevice, NewPerson, NewSocial,
    RequestKind,
};

/// One person: first and last name, department, roles, line manager (an index into
/// [`PEOPLE`]), and the dashboard login that shows their role, if they get one.
struct Member {
    first: &'static str,
    last: &'static str,
    department: &'static str,
    roles: &'static [&'static str],
    manager: Option<usize>,
    login: Option<(&'static str, &'static str)>,
}

const fn member(
    first: &'static str,
    last: &'static str,
    department: &'static str,
    roles: &'static [&'static str],
    manager: Option<usize>,
) -> Member {
    Member {
        first,
        last,
        department,
        roles,
        manager,
        login: None,
    }
}

const fn with_login(m: Member, login: &'static str, role: &'static str) -> Member {
    Member {
        login: Some((login, role)),
        ..m
    }
}

/// Indexes into [`PEOPLE`] the workflows use.
const SECRETARY: usize = 0;
const HR: usize = 1;
const IT: usize = 2;
const SAFEGUARDING: usize = 3;
const MANAGER: usize = 4;
const STAFF: usize = 7;
const GAMBLER: usize = 8;
const LEAVER: usize = 24;

/// The organisation. Carla White manages the trainers, Tom Hughes customer service and
/// marketing; the Company Secretary is the policy owner, data protection and compliance.
const PEOPLE: [Member; 25] = [
    with_login(
        member(
            "Sam",
            "Reed",
            "Office",
            &["management", "company_secretary"],
            None,
        ),
        "secretary",
        "policy owner: data protection and compliance (reads records with a reason)",
    ),
    with_login(
        member("Hana", "Okafor", "HR", &["staff", "hr"], Some(SECRETARY)),
        "hr",
        "HR: the people register, leavers",
    ),
    with_login(
        member("Ivan", "Petrov", "IT", &["staff", "it"], Some(SECRETARY)),
        "it",
        "IT: devices, software and access approvals",
    ),
    with_login(
        member(
            "Grace",
            "Lee",
            "Training",
            &["staff", "trainer", "safeguarding_lead"],
            Some(SECRETARY),
        ),
        "safeguarding",
        "safeguarding lead: safeguarding alerts",
    ),
    with_login(
        member(
            "Carla",
            "White",
            "Training",
            &["staff", "line_manager"],
            Some(SECRETARY),
        ),
        "manager",
        "line manager: team summaries only",
    ),
    member(
        "Tom",
        "Hughes",
        "Customer service",
        &["staff", "line_manager"],
        Some(SECRETARY),
    ),
    with_login(
        member("Olu", "Adams", "Audit", &["external", "auditor"], None),
        "auditor",
        "auditor: reads everything, changes nothing",
    ),
    with_login(
        member(
            "Ann",
            "Smith",
            "Training",
            &["staff", "trainer"],
            Some(MANAGER),
        ),
        "staff",
        "staff: self-service",
    ),
    member(
        "Dev",
        "Patel",
        "Training",
        &["staff", "trainer"],
        Some(MANAGER),
    ),
    member(
        "Ben",
        "Jones",
        "Marketing",
        &["staff", "social_media_manager"],
        Some(5),
    ),
    member(
        "Emma",
        "Brown",
        "Marketing",
        &["staff", "marketing"],
        Some(5),
    ),
    member(
        "Fatima",
        "Khan",
        "Training",
        &["staff", "trainer"],
        Some(MANAGER),
    ),
    member(
        "George",
        "Wilson",
        "Training",
        &["staff", "trainer"],
        Some(MANAGER),
    ),
    member(
        "Isla",
        "Campbell",
        "Training",
        &["staff", "trainer"],
        Some(MANAGER),
    ),
    member(
        "Jack",
        "Taylor",
        "Customer service",
        &["staff", "customer_service"],
        Some(5),
    ),
    member(
        "Kate",
        "Evans",
        "Customer service",
        &["staff", "customer_service"],
        Some(5),
    ),
    member(
        "Liam",
        "Murphy",
        "Customer service",
        &["staff", "customer_service"],
        Some(5),
    ),
    member(
        "Mia",
        "Roberts",
        "Customer service",
        &["staff", "customer_service"],
        Some(5),
    ),
    member(
        "Noah",
        "Walker",
        "Training",
        &["staff", "trainer"],
        Some(MANAGER),
    ),
    member(
        "Olivia",
        "Green",
        "Marketing",
        &["staff", "marketing"],
        Some(5),
    ),
    member("Priya", "Shah", "IT", &["staff", "it"], Some(IT)),
    member(
        "Quinn",
        "Hall",
        "Training",
        &["staff", "trainer"],
        Some(MANAGER),
    ),
    member(
        "Ruby",
        "Clarke",
        "Customer service",
        &["staff", "customer_service"],
        Some(5),
    ),
    member(
        "Sean",
        "Byrne",
        "Customer service",
        &["staff", "customer_service"],
        Some(5),
    ),
    member(
        "Tara",
        "Lewis",
        "Training",
        &["staff", "trainer"],
        Some(MANAGER),
    ),
];

/// The mail domain of the demo organisation.
pub(crate) const DOMAIN: &str = "demo-training.co.uk";

/// A person as the traffic generator needs them.
#[derive(Debug, Clone)]
pub(crate) struct Someone {
    pub id: i64,
    /// The account name web records carry (`ann.smith`).
    pub user: String,
    pub roles: Vec<String>,
}

/// A dashboard login the demo prints.
#[derive(Debug, Clone)]
pub(crate) struct Login {
    pub role: String,
    pub login: String,
    pub password: String,
    pub secret: String,
}

fn account(m: &Member) -> String {
    format!("{}.{}", m.first, m.last).to_lowercase()
}

fn as_person(id: i64) -> Actor {
    Actor::Person(id)
}

/// Adds the people, their accounts and the logins.
pub(crate) async fn people(app: &App) -> anyhow::Result<(Vec<Someone>, Vec<Login>)> {
    let operator = Actor::System("demo".into());
    let mut ids: Vec<i64> = Vec::with_capacity(PEOPLE.len());
    let mut out = Vec::new();
    let mut logins = Vec::new();
    for m in &PEOPLE {
        let added = app
            .add_person(
                &operator,
                NewPerson {
                    first_name: m.first.into(),
                    last_name: m.last.into(),
                    department: Some(m.department.into()),
                    location: Some("leeds".into()),
                    roles: m.roles.iter().map(|r| r.to_string()).collect(),
                    line_manager: m.manager.and_then(|i| ids.get(i).copied()),
                    start_date: Some("2024-09-02".into()),
                },
                false,
            )
            .await
            .with_context(|| format!("cannot add {} {}", m.first, m.last))?;
        let id = added.person.id;
        ids.push(id);
        let user = account(m);
        app.add_account(&operator, id, "login", &user).await?;
        app.add_account(&operator, id, "email", &format!("{user}@{DOMAIN}"))
            .await?;
        if let Some((login, role)) = m.login {
            let password = generate_password()?;
            let enrolment = app.add_user(&operator, id, login, &password, true).await?;
            logins.push(Login {
                role: role.into(),
                login: login.into(),
                password,
                secret: enrolment.totp_secret.unwrap_or_default(),
            });
        }
        out.push(Someone {
            id,
            user,
            roles: added.person.roles,
        });
    }
    Ok((out, logins))
}

/// New credentials for the demo logins (a later run whose logins file is gone).
pub(crate) async fn reset_logins(app: &App) -> anyhow::Result<Vec<Login>> {
    let operator = Actor::System("demo".into());
    let mut logins = Vec::new();
    for (login, role) in PEOPLE.iter().filter_map(|m| m.login) {
        let password = generate_password()?;
        let enrolment = app.reset_user(&operator, login, &password, true).await?;
        logins.push(Login {
            role: role.into(),
            login: login.into(),
            password,
            secret: enrolment.totp_secret.unwrap_or_default(),
        });
    }
    Ok(logins)
}

/// The registers and workflows of the month, as of `now`.
pub(crate) async fn workflows(app: &App, people: &[Someone], now: Timestamp) -> anyhow::Result<()> {
    let id = |i: usize| people[i].id;
    let tz = app.time_zone().clone();
    let today = now.to_zoned_datetime(tz.clone()).date();

    // The written policy, published by HR; everyone but five has signed it.
    let version = app
        .publish_policy(
            &as_person(id(HR)),
            &app.pack().meta.version.clone().unwrap_or_else(|| "2".into()),
            "Demo Training Ltd: IT, Internet, Email and Social Media Policy (DT-IT-01). Read the rules on this page.",
            true,
        )
        .await?;
    for (n, p) in people.iter().enumerate() {
        if n % 5 == 3 || n == STAFF {
            continue;
        }
        app.acknowledge(
            &as_person(p.id),
            p.id,
            version.id,
            &version.text_hash,
            AckKind::Agreement,
            None,
        )
        .await?;
    }

    // Laptops for everyone in IT's register, one lost.
    let it = as_person(id(IT));
    for (n, p) in people.iter().enumerate() {
        if n % 2 == 0 {
            app.add_device(
                &it,
                NewDevice {
                    serial: format!("DT-LT-{:04}", 100 + n),
                    kind: "laptop".into(),
                    byod: false,
                    encrypted: true,
                    assignee: Some(p.id),
                    note: None,
                },
            )
            .await?;
        }
    }
    let devices = app.devices().await?;
    if let Some(d) = devices.iter().find(|d| d.assignee == Some(id(12))) {
        app.report_device_lost(
            &as_person(id(12)),
            d.id,
            false,
            "Left on the train to Manchester after a course.",
        )
        .await?;
    }

    // Software: one approved, three waiting.
    let zoom = app
        .request_software(
            &as_person(id(11)),
            id(11),
            "Zoom",
            "Online courses with a client",
        )
        .await?;
    app.decide_software(&it, zoom.id, true, "On the approved list")
        .await?;
    for (who, what, why) in [
        (STAFF, "Audacity", "Recording course audio"),
        (10, "Canva desktop", "Marketing material"),
        (14, "TeamViewer", "Helping a learner with their set-up"),
    ] {
        app.request_software(&as_person(id(who)), id(who), what, why)
            .await?;
    }

    // Authorisations the policy requires, waiting for HR and IT.
    for (who, kind, what) in [
        (
            9,
            AuthorisationKind::SocialMediaAccount,
            "A TikTok account for course highlights, @demotraining",
        ),
        (
            SAFEGUARDING,
            AuthorisationKind::OutOfHoursVpn,
            "VPN until 22:00 on weekdays during the marking period",
        ),
        (
            10,
            AuthorisationKind::MassMail,
            "The spring newsletter to 400 past learners",
        ),
    ] {
        app.ask_authorisation(&as_person(id(who)), kind, what)
            .await?;
    }

    // The official social media account.
    app.add_social_account(
        &as_person(id(HR)),
        NewSocial {
            platform: "facebook".into(),
            handle: "demotraining".into(),
            owner_id: id(9),
            custodian_id: id(HR),
            two_factor: true,
        },
    )
    .await?;

    // Incidents staff reported.
    app.report_incident(
        &as_person(id(15)),
        IncidentKind::SpamScam,
        "An email asking me to confirm my password on a page that looks like Office 365.",
        None,
    )
    .await?;
    app.report_incident(
        &as_person(id(13)),
        IncidentKind::Safeguarding,
        "A learner said something in class that worried me about their safety at home.",
        None,
    )
    .await?;

    // A breach found 30 hours ago: 42 hours of its 72 left.
    let secretary = as_person(id(SECRETARY));
    app.log_breach(
        &secretary,
        NewBreach {
            description:
                "A spreadsheet of 40 learners' names and results was emailed to the wrong venue."
                    .into(),
            data_categories: "names, course results".into(),
            approx_people: Some(40),
            approx_records: Some(40),
            likely_consequences: "Low: the venue confirmed it deleted the message.".into(),
            measures: "Recall asked; the venue's deletion confirmed in writing.".into(),
            contact_point: String::new(),
            aware_at: now - 30.hours(),
        },
        &[],
    )
    .await?;

    // A subject request received 20 days ago.
    app.receive_request(
        &secretary,
        Some(id(16)),
        "Liam Murphy",
        RequestKind::Access,
        today.checked_sub(20.days())?,
    )
    .await?;

    // Tara Lewis leaves in 10 days.
    app.open_leaver(
        &as_person(id(HR)),
        id(LEAVER),
        today.checked_add(10.days())?,
    )
    .await?;
    Ok(())
}

/// After the traffic: the Company Secretary reads Dev Patel's records for a stated reason
/// (audited; Dev is told), as a suspected breach of the policy calls for.
pub(crate) async fn investigate(app: &App, people: &[Someone]) -> anyhow::Result<()> {
    app.view_records(
        &as_person(people[SECRETARY].id),
        people[GAMBLER].id,
        charter_app::RecordView {
            reason: "Gambling sites blocked several times this month: suspected breach of the internet policy.".into(),
            limit: Some(50),
            flagged_only: true,
            ..charter_app::RecordView::default()
        },
    )
    .await?;
    Ok(())
}

/// Who [`traffic`](super::traffic) makes try gambling sites.
pub(crate) const GAMBLER_INDEX: usize = GAMBLER;
/// Whose laptop joins at odd hours over the VPN.
pub(crate) const NIGHT_OWL_INDEX: usize = SAFEGUARDING;

//! What the web gateways share: the clock, who the user is, and how a [`Decision`] is put
//! into words for a block page or a Squid `message=`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use jiff::Timestamp;

use charter_engine::web::{CategorySource, Target, WebRequest, site_of};
use charter_engine::{Context, Decision, Engine};
use charter_policy::Verdict;
use charter_policy::window::WindowStates;

use crate::identity::{Identities, UNKNOWN_USER};
use crate::pass::{PageKind, Pages, Passes};

/// Where "now" comes from. The engine reads no clock; the gateway does, once per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A fixed instant (`--at`, announced at start).
    Fixed(Timestamp),
}

impl Clock {
    /// The current instant by this clock.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(at) => *at,
        }
    }
}

/// Users' roles, for rules with `roles`/`except_roles`: `user role,role` lines, or the people
/// register. Clones share one table, so that `serve` can give the same `Roles` to every
/// gateway and later [`Roles::replace`] the table with a fresh read of the register: each
/// lookup sees the old table or the new one, whole.
#[derive(Debug, Clone, Default)]
pub struct Roles(Arc<RwLock<Arc<RoleTable>>>);

/// A fast hash: the table is looked up on every web request, and its keys come from the
/// register, not from whoever makes the requests.
type RoleTable = HashMap<String, Arc<[String]>, foldhash::fast::RandomState>;

impl Roles {
    /// Parses `user role1,role2` lines; `#` starts a comment.
    pub fn parse(text: &str) -> Roles {
        let mut map = RoleTable::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            let mut parts = line.split_whitespace();
            if let (Some(user), Some(roles)) = (parts.next(), parts.next()) {
                map.insert(
                    user.to_string(),
                    roles
                        .split(',')
                        .filter(|r| !r.is_empty())
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                        .into(),
                );
            }
        }
        Roles(Arc::new(RwLock::new(Arc::new(map))))
    }

    fn table(&self) -> Arc<RoleTable> {
        Arc::clone(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn edit(&self, change: impl FnOnce(&mut RoleTable)) {
        let mut table = self.0.write().unwrap_or_else(|e| e.into_inner());
        change(Arc::make_mut(&mut table));
    }

    /// Gives `user` these roles, replacing any they had.
    pub fn insert(&mut self, user: impl Into<String>, roles: Vec<String>) {
        self.edit(|t| {
            t.insert(user.into(), roles.into());
        });
    }

    /// Adds every entry of `other`, which wins where both name the same user.
    pub fn extend(&mut self, other: Roles) {
        let other = other.table();
        self.edit(|t| t.extend(other.iter().map(|(u, r)| (u.clone(), r.clone()))));
    }

    /// Replaces the whole table, for every clone, with what `with` holds now.
    pub fn replace(&self, with: &Roles) {
        let table = with.table();
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = table;
    }

    /// How many users have roles.
    pub fn len(&self) -> usize {
        self.table().len()
    }

    /// Whether no user has roles.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The roles of `user`.
    pub fn of(&self, user: Option<&str>) -> Vec<String> {
        self.shared_of(user).to_vec()
    }

    /// The roles of `user`, shared with the table rather than copied.
    pub fn shared_of(&self, user: Option<&str>) -> Arc<[String]> {
        let Some(user) = user else {
            return Arc::new([]);
        };
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(user)
            .cloned()
            .unwrap_or_else(|| Arc::new([]))
    }
}

/// The engine, the category source and the settings every web gateway decides with.
pub struct WebDecider<'a> {
    /// The compiled pack.
    pub engine: &'a Engine,
    /// Categories and URL lists.
    pub source: &'a (dyn CategorySource + Send + Sync),
    /// Where "now" comes from.
    pub clock: Clock,
    /// Users' roles.
    pub roles: &'a Roles,
    /// Client addresses mapped to people, for requests without a login.
    identities: Option<&'a Identities>,
    /// Users' passes in force (warnings continued past, approvals).
    passes: Option<&'a Passes>,
    /// Where warn and hold send people, when the pages run.
    pages: Option<&'a Pages>,
    /// The last stretch of time worked out: window edges and states hold for any instant
    /// in it. Working them out means time zone arithmetic over a week of days; requests
    /// come thousands a second, edges a few times a day.
    stretch: Mutex<Option<Stretch>>,
}

/// A stretch of time over which no window opens or closes.
#[derive(Debug, Clone)]
struct Stretch {
    /// When it was worked out.
    from: Timestamp,
    /// The next window edge after `from` (or a day later), for cache lifetimes.
    edge: Timestamp,
    /// Until when `windows` holds (a window edge or a change of the clocks).
    stable: Timestamp,
    /// Whether each window holds, for every instant from `from` until `stable`.
    windows: Arc<WindowStates>,
}

impl Stretch {
    fn holds_at(&self, at: Timestamp) -> bool {
        self.from <= at && at < self.edge && at < self.stable
    }
}

impl<'a> WebDecider<'a> {
    /// A decider over `engine` and `source`.
    pub fn new(
        engine: &'a Engine,
        source: &'a (dyn CategorySource + Send + Sync),
        clock: Clock,
        roles: &'a Roles,
    ) -> WebDecider<'a> {
        WebDecider {
            engine,
            source,
            clock,
            roles,
            identities: None,
            passes: None,
            pages: None,
            stretch: Mutex::new(None),
        }
    }

    /// Maps client addresses to people through `identities` for requests without a login.
    pub fn with_identities(mut self, identities: &'a Identities) -> WebDecider<'a> {
        self.identities = Some(identities);
        self
    }

    /// Who made a request with this `login` (Squid's `%un`, `-` for none) from `client`
    /// (the address, when the gateway knows it) at `at`: the login, else the person the
    /// address maps to, else `None`, an unknown user ([`crate::identity`]).
    pub fn identify(
        &self,
        login: Option<&str>,
        client: Option<&str>,
        at: Timestamp,
    ) -> Option<String> {
        match self.identities {
            Some(ids) => ids.who(login, client, at),
            None => login
                .filter(|l| !l.is_empty() && *l != UNKNOWN_USER)
                .map(str::to_string),
        }
    }

    /// Decides a gateway's request for `who` as [`WebDecider::identify`] found them: an
    /// unknown user is decided as `-`, so that `unknown_user` fires as in
    /// `charter check url --user -`.
    pub fn decide_for(&self, url: &str, who: Option<&str>, at: Timestamp) -> WebOutcome {
        self.decide_at(url, Some(who.unwrap_or(UNKNOWN_USER)), at)
    }

    /// This decider with the passes in force put in each person's context.
    pub fn with_passes(mut self, passes: &'a Passes) -> WebDecider<'a> {
        self.passes = Some(passes);
        self
    }

    /// This decider sending a `warn` or `hold` without a pass to the pages.
    pub fn with_pages(mut self, pages: &'a Pages) -> WebDecider<'a> {
        self.pages = Some(pages);
        self
    }

    /// The pages, when they run.
    pub fn pages(&self) -> Option<&'a Pages> {
        self.pages
    }

    /// Another decider over the same engine, source, clock, roles, identities, passes and
    /// pages, for another thread.
    pub fn fork(&self) -> WebDecider<'a> {
        WebDecider {
            identities: self.identities,
            passes: self.passes,
            pages: self.pages,
            ..WebDecider::new(self.engine, self.source, self.clock, self.roles)
        }
    }

    /// The next window edge after `at` (or a day later when there is none sooner), and
    /// whether each window holds at `at`.
    fn stretch(&self, at: Timestamp) -> (Timestamp, Arc<WindowStates>) {
        let day = jiff::SignedDuration::from_hours(24);
        let mut cached = self.stretch.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(stretch) = cached.as_ref()
            && stretch.holds_at(at)
        {
            return (stretch.edge, Arc::clone(&stretch.windows));
        }
        let edge = self
            .engine
            .valid_until(at)
            .or_else(|| at.checked_add(day).ok())
            .unwrap_or(at);
        let (windows, stable) = self.engine.window_states(at);
        let stretch = Stretch {
            from: at,
            edge,
            stable: stable.unwrap_or(edge),
            windows: Arc::new(windows),
        };
        let found = (stretch.edge, Arc::clone(&stretch.windows));
        *cached = Some(stretch);
        found
    }

    /// A context for `user` at `at`, with their roles and the windows' states.
    pub(crate) fn context(&self, user: Option<&str>, at: Timestamp) -> (Context, Timestamp) {
        let (edge, windows) = self.stretch(at);
        let ctx =
            Context::with_shared_roles(user.map(str::to_string), self.roles.shared_of(user), at)
                .with_windows(windows);
        (ctx, edge)
    }
}

impl std::fmt::Debug for WebDecider<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebDecider")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// A decision and when it was made.
#[derive(Debug, Clone)]
pub struct WebOutcome {
    /// The engine's answer.
    pub decision: Decision,
    /// When it was made.
    pub at: Timestamp,
    /// Seconds until a time window may change the answer, when that is within a day.
    pub valid_for_secs: Option<u64>,
    /// The page a `warn` or `hold` sends the person to, when the pages run and the person
    /// is known: then the gateway refuses the request with it.
    pub page: Option<Page>,
}

/// A warn or hold page for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Which page.
    pub kind: PageKind,
    /// The signed token naming the person, the site and the rule.
    pub token: String,
}

impl WebDecider<'_> {
    /// Decides one request for `user`.
    pub fn decide(&self, url: &str, user: Option<&str>) -> WebOutcome {
        self.decide_at(url, user, self.clock.now())
    }

    /// Decides one request for `user` made at `at` (gateways that read the clock once for
    /// a batch of requests that arrived together).
    pub fn decide_at(&self, url: &str, user: Option<&str>, at: Timestamp) -> WebOutcome {
        let (mut ctx, until) = self.context(user, at);
        if let Some(passes) = self.passes {
            ctx.passes = passes.of(user);
        }
        let decision = self
            .engine
            .decide_web(&ctx, &WebRequest::new(url), self.source);
        let valid_for_secs = Some(until.as_second().saturating_sub(at.as_second()).max(1) as u64)
            .filter(|secs| *secs < 86_400);
        let page = self.page(&ctx, url, &decision);
        WebOutcome {
            decision,
            at,
            valid_for_secs,
            page,
        }
    }

    /// The page for a `warn` or `hold` the person has no pass for: only with the pages
    /// running and a known person (a pass is theirs; nobody's is no one's).
    fn page(&self, ctx: &Context, url: &str, decision: &Decision) -> Option<Page> {
        let kind = match decision.verdict {
            Verdict::Warn => PageKind::Warn,
            Verdict::Hold => PageKind::Hold,
            _ => return None,
        };
        let pages = self.pages?;
        let user = ctx.user.as_deref().filter(|_| !ctx.is_unidentified())?;
        let rule = &decision.deciding()?.rule;
        let host = Self::host_of(url);
        let token = pages.token(kind, user, site_of(&host), rule, ctx.at)?;
        Some(Page { kind, token })
    }

    /// Whether the path of `url` can change its decision ([`Engine::path_matters`]); `true`
    /// for a URL that does not parse.
    pub fn path_matters(&self, url: &str) -> bool {
        Target::parse(url).map_or(true, |t| self.engine.path_matters(&t, self.source))
    }

    /// The host of `url`, normalised, for messages.
    pub fn host_of(url: &str) -> String {
        Target::parse(url).map_or_else(|_| url.to_string(), |t| t.host().to_string())
    }

    /// Whom the block page tells people to ask.
    /// Without a final full stop, since it ends a sentence ("ask the IT Dept.").
    pub fn contact(&self) -> String {
        contact(self.engine.pack())
    }

    /// The words for a refused or warned request: rule, clause, quote, what was found and
    /// whom to ask. `None` when nothing matched.
    pub fn explain(&self, decision: &Decision) -> Option<Explanation> {
        let finding = decision.deciding()?;
        let quote = self
            .engine
            .pack()
            .rule(&finding.rule)
            .and_then(|r| r.quote.clone())
            .unwrap_or_default();
        Some(Explanation {
            rule: finding.rule.clone(),
            clause: finding.clause.clone(),
            quote,
            finding: finding.message.clone(),
            contact: self.contact(),
            verdict: decision.verdict,
        })
    }
}

/// Whom a refused person is told to ask: `[web] block_page_contact`, else `[organisation]
/// contact`, without a final full stop, since it ends a sentence ("ask the IT Dept.").
pub fn contact(pack: &charter_policy::Pack) -> String {
    pack.web
        .block_page_contact
        .as_deref()
        .or(pack.organisation.contact.as_deref())
        .unwrap_or("your IT department")
        .trim_end_matches('.')
        .to_string()
}

/// Why a request was refused (or warned about), in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The rule's id.
    pub rule: String,
    /// The clause of the written policy.
    pub clause: String,
    /// The clause's words.
    pub quote: String,
    /// What was found.
    pub finding: String,
    /// Whom to ask.
    pub contact: String,
    /// The verdict.
    pub verdict: Verdict,
}

impl Explanation {
    /// One line: `Blocked by rule R (clause C: "Q"): F. Ask A.`
    pub fn one_line(&self) -> String {
        let what = match self.verdict {
            Verdict::Block => "Blocked",
            Verdict::Hold => "Held for authorisation",
            Verdict::Warn => "Warning",
            Verdict::Log | Verdict::Allow => "Logged",
        };
        let quote = if self.quote.is_empty() {
            String::new()
        } else {
            format!(": \"{}\"", self.quote)
        };
        format!(
            "{what} by rule {} (clause {}{quote}): {}. If you need this for your work, ask {}.",
            self.rule, self.clause, self.finding, self.contact
        )
    }
}

/// Whether a verdict lets the request through.
pub fn allowed(verdict: Verdict) -> bool {
    matches!(verdict, Verdict::Allow | Verdict::Log | Verdict::Warn)
}

#[cfg(test)]
mod roles_tests {
    use super::Roles;

    #[test]
    fn a_replaced_table_is_seen_by_every_clone() {
        let live = Roles::default();
        let gateway = live.clone();
        assert!(gateway.of(Some("ben")).is_empty());
        live.replace(&Roles::parse("ben social_media_manager\n"));
        assert_eq!(gateway.of(Some("ben")), ["social_media_manager"]);
        assert_eq!(gateway.len(), 1);
    }

    #[test]
    fn extend_wins_where_both_name_a_user() {
        let mut roles = Roles::parse("ann staff\nben staff\n");
        roles.extend(Roles::parse("ben marketing,staff\n"));
        assert_eq!(roles.of(Some("ann")), ["staff"]);
        assert_eq!(roles.of(Some("ben")), ["marketing", "staff"]);
        assert!(roles.of(None).is_empty());
    }

    #[test]
    fn a_table_given_to_replace_stays_its_own() {
        let live = Roles::default();
        let mut fresh = Roles::parse("ann staff\n");
        live.replace(&fresh);
        fresh.insert("cat", vec!["hr".into()]);
        assert!(live.of(Some("cat")).is_empty());
    }
}

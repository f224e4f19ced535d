//! Dashboard logins: the administrator's `charter users add|reset|disable`, and signing in
//! with a password and a TOTP code. A login belongs to a person in the people register and
//! acts as them ([`Actor::Person`]), with their roles; nothing about authority is decided by
//! the login itself.
//!
//! The rules: argon2id password hashes; a second factor for every person whose roles can see
//! monitoring records (compliance, data protection, safeguarding), offered to everyone else;
//! a TOTP code for a time step already used is refused; [`MAX_FAILED`] failures in a row lock
//! the login until an administrator resets it (Cyber Essentials); sessions are random
//! 256-bit tokens kept in the store only as their SHA-256, and a new token is issued when the
//! second factor is given, so a token planted before login is never the one after it.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::json;
use subtle::ConstantTimeEq;
use totp_rs::{Rfc6238, Secret, TOTP};

use charter_store::{Actor, LoginSession, NewUser, Person, PersonStatus, User, text_hash};

use crate::act::{Done, May, entry};
use crate::error::{Error, Result};
use crate::{App, roles};

/// Failed attempts in a row that lock a login (Cyber Essentials: no more than 10).
pub const MAX_FAILED: i64 = 10;
/// How long a signed-in session lasts.
pub const SESSION_LIFETIME: SignedDuration = SignedDuration::from_hours(8);
/// How long the step between the password and the code may take.
pub const SECOND_FACTOR_WINDOW: SignedDuration = SignedDuration::from_mins(5);
/// The shortest password accepted (the NCSC's and Cyber Essentials' 12 characters when a
/// second factor is not required; kept for everyone).
pub const MIN_PASSWORD: usize = 12;
const TOTP_STEP_SECONDS: u64 = 30;
const ISSUER: &str = "Charter";

/// A login just made or reset: what the administrator hands over once.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    /// The login.
    pub user: User,
    /// The TOTP secret in base32, for typing into an authenticator; `None` when the person
    /// chose no second factor and their roles allow it.
    pub totp_secret: Option<String>,
    /// The `otpauth://` URI the QR code holds.
    pub otpauth_uri: Option<String>,
}

/// Who is signed in, for a request.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The login.
    pub user: User,
    /// The person it acts as.
    pub person: Person,
    /// The actor every workflow call is made as.
    pub actor: Actor,
    /// The session's CSRF token, for forms and the `X-CSRF-Token` header.
    pub csrf: String,
}

/// What a session token stands for now.
#[derive(Debug, Clone)]
pub enum SessionState {
    /// Password given; the TOTP code is still owed.
    AwaitingCode {
        /// The login.
        user_id: i64,
        /// The session's CSRF token.
        csrf: String,
    },
    /// Fully signed in.
    SignedIn(Box<SignedIn>),
}

/// The outcome of the password step.
#[derive(Debug, Clone)]
pub enum PasswordStep {
    /// Signed in (no second factor enrolled): the session's token for the cookie.
    SignedIn(String),
    /// A code is owed: the pending session's token for the cookie.
    NeedsCode(String),
}

/// Why a sign-in was refused. Every variant reads the same to the one signing in (see
/// [`LoginRefused::public`]), so the form tells an attacker nothing about which part failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefused {
    /// Unknown login, wrong password or wrong code.
    Wrong,
    /// The code's time step was already used.
    Reused,
    /// Locked after too many failures.
    Locked,
    /// Disabled by an administrator, or the person is no longer here.
    Disabled,
    /// The pending or signed-in session is unknown or expired.
    NoSession,
}

impl LoginRefused {
    /// The words shown on the form.
    pub fn public(&self) -> &'static str {
        match self {
            LoginRefused::NoSession => "Your session has ended: sign in again.",
            LoginRefused::Locked => {
                "This login is locked after too many failed attempts: ask the administrator to reset it."
            }
            _ => "Sign-in failed: check the login, password and code.",
        }
    }
}

/// Hashes `password` with argon2id (the crate's default cost: 19 MiB, 2 passes).
fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    random(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Refused(e.to_string()))?;
    argon()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Refused(format!("cannot hash the password: {e}")))
}

fn argon() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Whether `password` matches the PHC string `hash`; argon2 compares in constant time.
fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| argon().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A hash that no password matches, verified against for unknown logins so that they take
/// as long as known ones.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no login has this password").unwrap_or_default())
}

fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::Refused(format!("no randomness: {e}")))
}

/// A random 256-bit token, hex.
fn token() -> Result<String> {
    let mut bytes = [0u8; 32];
    random(&mut bytes)?;
    Ok(charter_proto::hex::encode(&bytes))
}

/// A password to hand over when the administrator does not choose one: 20 characters from
/// an alphabet without look-alikes (about 100 bits).
pub fn generate_password() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
    let mut bytes = [0u8; 20];
    random(&mut bytes)?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// Constant-time equality of two secrets.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn totp(secret: &str, login: &str) -> Result<TOTP> {
    let bytes = Secret::Encoded(secret.to_string())
        .to_bytes()
        .map_err(|e| Error::Refused(format!("the stored TOTP secret is unreadable: {e:?}")))?;
    let mut rfc = Rfc6238::with_defaults(bytes)
        .map_err(|e| Error::Refused(format!("the stored TOTP secret is unusable: {e}")))?;
    rfc.issuer(ISSUER.to_string());
    rfc.account_name(login.to_string());
    TOTP::from_rfc6238(rfc).map_err(|e| Error::Refused(format!("TOTP: {e}")))
}

/// A new TOTP secret: 160 random bits, base32.
fn new_totp_secret() -> Result<String> {
    let mut bytes = [0u8; 20];
    random(&mut bytes)?;
    Ok(Secret::Raw(bytes.to_vec()).to_encoded().to_string())
}

/// The six-digit code for `secret` at `at` (tests and the demo compute codes with it).
pub fn totp_code(secret: &str, at: Timestamp) -> Result<String> {
    let seconds = u64::try_from(at.as_second()).unwrap_or(0);
    Ok(totp(secret, "")?.generate(seconds))
}

/// The time step of `code` for `secret` within one step of `at`, if it matches.
fn code_step(secret: &str, code: &str, at: Timestamp) -> Result<Option<i64>> {
    let t = totp(secret, "")?;
    let now = at.as_second();
    let step = TOTP_STEP_SECONDS as i64;
    for skew in [0, -1, 1] {
        let s = now.div_euclid(step) + skew;
        let Ok(seconds) = u64::try_from(s * step) else {
            continue;
        };
        if secrets_equal(&t.generate(seconds), code.trim()) {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

/// The QR code of an enrolment's `otpauth://` URI, as a base64 PNG.
pub fn totp_qr_png_base64(secret: &str, login: &str) -> Result<String> {
    totp(secret, login)?
        .get_qr_base64()
        .map_err(|e| Error::Refused(format!("cannot draw the QR code: {e}")))
}

fn micros(at: Timestamp) -> i64 {
    charter_store::time::to_us(at)
}

impl App {
    /// The roles that can see monitoring records, and so must give a second factor.
    pub fn second_factor_roles(&self) -> Vec<String> {
        let g = self.governance();
        let safeguarding: Vec<String> = g.safeguarding_role.iter().cloned().collect();
        roles(&[
            &g.compliance_roles,
            &g.data_protection_roles,
            &safeguarding,
            &g.auditor_roles,
        ])
    }

    fn needs_second_factor(&self, person: &Person) -> bool {
        person.has_any_role(&self.second_factor_roles())
    }

    fn check_password(password: &str) -> Result<()> {
        if password.chars().count() < MIN_PASSWORD {
            return Err(Error::Refused(format!(
                "the password is too short: at least {MIN_PASSWORD} characters"
            )));
        }
        if password.len() > 1024 {
            return Err(Error::Refused(
                "the password is too long: at most 1024 bytes".into(),
            ));
        }
        Ok(())
    }

    /// Makes a dashboard login `login` for the person `person_id`, with `password`. A TOTP
    /// secret is made unless `second_factor` is false, which is refused for a person whose
    /// roles can see monitoring records.
    pub async fn add_user(
        &self,
        actor: &Actor,
        person_id: i64,
        login: &str,
        password: &str,
        second_factor: bool,
    ) -> Result<Enrolment> {
        Self::check_password(password)?;
        let hash = hash_password(password)?;
        let keepers = self.governance().register_roles.clone();
        let at = Timestamp::now();
        self.act(
            actor,
            "add dashboard logins",
            May::OperatorOr(&keepers),
            async |tx, _| {
                let person = tx.person(person_id).await?;
                if person.status != PersonStatus::Active {
                    return Err(Error::Refused(format!(
                        "{} is {}: only people who are still here get a login",
                        person.label(),
                        person.status
                    )));
                }
                let secret = self.choose_second_factor(&person, second_factor)?;
                let user = tx
                    .insert_user(&NewUser {
                        person_id,
                        login,
                        password_hash: &hash,
                        totp_secret: secret.as_deref(),
                        at_us: micros(at),
                    })
                    .await?;
                let audit = entry(
                    "user.add",
                    "user",
                    user.id,
                    person_id,
                    json!({"login": user.login, "second_factor": secret.is_some()}),
                );
                Ok(Done::new(enrolment(user, secret), audit))
            },
        )
        .await
    }

    fn choose_second_factor(&self, person: &Person, wanted: bool) -> Result<Option<String>> {
        if !wanted && self.needs_second_factor(person) {
            return Err(Error::Refused(format!(
                "{} holds a role that can see monitoring records ({}): a second factor is required",
                person.label(),
                self.second_factor_roles().join(", ")
            )));
        }
        wanted.then(new_totp_secret).transpose()
    }

    /// Gives login `login` a new password and a new TOTP secret, unlocks and re-enables it,
    /// and ends every session it has.
    pub async fn reset_user(
        &self,
        actor: &Actor,
        login: &str,
        password: &str,
        second_factor: bool,
    ) -> Result<Enrolment> {
        Self::check_password(password)?;
        let hash = hash_password(password)?;
        let keepers = self.governance().register_roles.clone();
        self.act(
            actor,
            "reset dashboard logins",
            May::OperatorOr(&keepers),
            async |tx, _| {
                let user = named(tx.user_by_login(login).await?, login)?;
                let person = tx.person(user.person_id).await?;
                let secret = self.choose_second_factor(&person, second_factor)?;
                let user = tx.reset_user(user.id, &hash, secret.as_deref()).await?;
                let ended = tx.delete_user_sessions(user.id).await?;
                let audit = entry(
                    "user.reset",
                    "user",
                    user.id,
                    user.person_id,
                    json!({"login": user.login, "second_factor": secret.is_some(), "sessions_ended": ended}),
                );
                Ok(Done::new(enrolment(user, secret), audit))
            },
        )
        .await
    }

    /// Disables login `login` and ends its sessions.
    pub async fn disable_user(&self, actor: &Actor, login: &str) -> Result<User> {
        let keepers = self.governance().register_roles.clone();
        let at = Timestamp::now();
        self.act(
            actor,
            "disable dashboard logins",
            May::OperatorOr(&keepers),
            async |tx, _| {
                let user = named(tx.user_by_login(login).await?, login)?;
                if user.disabled_at.is_some() {
                    return Err(Error::state(
                        format!("login {}", user.login),
                        "disabled",
                        "disable it",
                    ));
                }
                let user = tx.disable_user(user.id, micros(at)).await?;
                let ended = tx.delete_user_sessions(user.id).await?;
                let audit = entry(
                    "user.disable",
                    "user",
                    user.id,
                    user.person_id,
                    json!({"login": user.login, "sessions_ended": ended}),
                );
                Ok(Done::new(user, audit))
            },
        )
        .await
    }

    /// Every dashboard login.
    pub async fn users(&self) -> Result<Vec<User>> {
        self.read(async |tx| Ok(tx.users().await?)).await
    }

    /// The password step of signing in at `at`. On success a new session is opened (never
    /// one the browser brought) and its token returned for the cookie.
    pub async fn login_password(
        &self,
        login: &str,
        password: &str,
        at: Timestamp,
    ) -> Result<Result<PasswordStep, LoginRefused>> {
        let found = self
            .read(async |tx| Ok(tx.user_by_login(login).await?))
            .await?;
        let Some(user) = found else {
            // As long as a real check, so the time does not tell which logins exist.
            let _ = password_matches(dummy_hash(), password);
            return Ok(Err(LoginRefused::Wrong));
        };
        if let Some(refused) = self.unusable(&user).await? {
            return Ok(Err(refused));
        }
        if !password_matches(&user.password_hash, password) {
            return Ok(Err(self.failed(&user).await?));
        }
        let second = user.totp_secret.is_none();
        if second {
            // Signed in fully: the failures counted are no longer in a row.
            self.write(async |tx| Ok(tx.clear_user_failures(user.id).await?))
                .await?;
        }
        let lifetime = if second {
            SESSION_LIFETIME
        } else {
            SECOND_FACTOR_WINDOW
        };
        let token = self.open_session(user.id, second, at, lifetime).await?;
        Ok(Ok(if second {
            PasswordStep::SignedIn(token)
        } else {
            PasswordStep::NeedsCode(token)
        }))
    }

    /// The code step: `pending` is the token the password step gave. On success the pending
    /// session is ended and a new signed-in one opened; its token is returned.
    pub async fn login_code(
        &self,
        pending: &str,
        code: &str,
        at: Timestamp,
    ) -> Result<Result<String, LoginRefused>> {
        let hash = text_hash(pending);
        let found = self
            .read(async |tx| {
                let Some(s) = tx.login_session(&hash).await? else {
                    return Ok(None);
                };
                Ok(Some((s.clone(), tx.user(s.user_id).await?)))
            })
            .await?;
        let Some((session, user)) = found else {
            return Ok(Err(LoginRefused::NoSession));
        };
        if session.second_factor || session.expires_us <= micros(at) {
            return Ok(Err(LoginRefused::NoSession));
        }
        if let Some(refused) = self.unusable(&user).await? {
            return Ok(Err(refused));
        }
        let Some(secret) = user.totp_secret.as_deref() else {
            return Ok(Err(LoginRefused::NoSession));
        };
        let Some(step) = code_step(secret, code, at)? else {
            return Ok(Err(self.failed(&user).await?));
        };
        let taken = self
            .write(async |tx| {
                let taken = tx.take_totp_step(user.id, step).await?;
                if taken {
                    tx.delete_login_session(&hash).await?;
                }
                Ok(taken)
            })
            .await?;
        if !taken {
            self.failed(&user).await?;
            return Ok(Err(LoginRefused::Reused));
        }
        Ok(Ok(self
            .open_session(user.id, true, at, SESSION_LIFETIME)
            .await?))
    }

    /// Why `user` cannot sign in now, if it cannot.
    async fn unusable(&self, user: &User) -> Result<Option<LoginRefused>> {
        if user.disabled_at.is_some() {
            return Ok(Some(LoginRefused::Disabled));
        }
        if user.locked_at.is_some() {
            return Ok(Some(LoginRefused::Locked));
        }
        let person = self.store.person(user.person_id).await?;
        if person.status != PersonStatus::Active {
            return Ok(Some(LoginRefused::Disabled));
        }
        Ok(None)
    }

    /// Counts a failure, locking at [`MAX_FAILED`]; what to tell the one signing in.
    async fn failed(&self, user: &User) -> Result<LoginRefused> {
        let at = micros(Timestamp::now());
        let locked = self
            .write(async |tx| {
                let failed = tx.count_user_failure(user.id).await?;
                if failed < MAX_FAILED {
                    return Ok(false);
                }
                if tx.lock_user(user.id, at).await? {
                    tx.delete_user_sessions(user.id).await?;
                    tx.audit(
                        &Actor::System("login".into()),
                        entry(
                            "user.lock",
                            "user",
                            user.id,
                            user.person_id,
                            json!({"login": user.login, "failed": failed}),
                        ),
                    )
                    .await?;
                }
                Ok(true)
            })
            .await?;
        Ok(if locked {
            LoginRefused::Locked
        } else {
            LoginRefused::Wrong
        })
    }

    async fn open_session(
        &self,
        user_id: i64,
        second_factor: bool,
        at: Timestamp,
        lifetime: SignedDuration,
    ) -> Result<String> {
        let token = token()?;
        let session = LoginSession {
            token_hash: text_hash(&token),
            user_id,
            csrf: self::token()?,
            second_factor,
            expires_us: micros(at.saturating_add(lifetime).unwrap_or(at)),
        };
        self.write(async |tx| Ok(tx.insert_login_session(&session, micros(at)).await?))
            .await?;
        Ok(token)
    }

    /// What the session token `token` stands for at `at`: `None` when unknown, expired, or
    /// its login or person can no longer sign in.
    pub async fn session(&self, token: &str, at: Timestamp) -> Result<Option<SessionState>> {
        let hash = text_hash(token);
        let found = self
            .read(async |tx| {
                let Some(s) = tx.login_session(&hash).await? else {
                    return Ok(None);
                };
                if s.expires_us <= micros(at) {
                    return Ok(Some(Err(())));
                }
                let user = tx.user(s.user_id).await?;
                let person = tx.person(user.person_id).await?;
                Ok(Some(Ok((s, user, person))))
            })
            .await?;
        let (s, user, person) = match found {
            None => return Ok(None),
            Some(Err(())) => {
                // Expired: gone for good (a write, so outside the read).
                self.write(async |tx| Ok(tx.delete_login_session(&hash).await?))
                    .await?;
                return Ok(None);
            }
            Some(Ok(found)) => found,
        };
        if user.disabled_at.is_some()
            || user.locked_at.is_some()
            || person.status != PersonStatus::Active
        {
            return Ok(None);
        }
        if !s.second_factor {
            return Ok(Some(SessionState::AwaitingCode {
                user_id: user.id,
                csrf: s.csrf,
            }));
        }
        Ok(Some(SessionState::SignedIn(Box::new(SignedIn {
            actor: Actor::Person(person.id),
            user,
            person,
            csrf: s.csrf,
        }))))
    }

    /// The QR code (base64 PNG) of login `user_id`'s TOTP secret while no code has yet been
    /// accepted for it: the first sign-in enrols the authenticator, and never shows it again.
    pub async fn enrolment_qr(&self, user_id: i64) -> Result<Option<String>> {
        let user = self.read(async |tx| Ok(tx.user(user_id).await?)).await?;
        match (&user.totp_secret, user.totp_last_step) {
            (Some(secret), None) => Ok(Some(totp_qr_png_base64(secret, &user.login)?)),
            _ => Ok(None),
        }
    }

    /// Ends the session `token`.
    pub async fn logout(&self, token: &str) -> Result<()> {
        let hash = text_hash(token);
        self.write(async |tx| Ok(tx.delete_login_session(&hash).await?))
            .await
    }

    /// Ends every session of the login that `token` belongs to; how many.
    pub async fn logout_everywhere(&self, token: &str) -> Result<u64> {
        let hash = text_hash(token);
        self.write(async |tx| {
            let Some(s) = tx.login_session(&hash).await? else {
                return Ok(0);
            };
            Ok(tx.delete_user_sessions(s.user_id).await?)
        })
        .await
    }
}

fn named(user: Option<User>, login: &str) -> Result<User> {
    user.ok_or_else(|| Error::Refused(format!("no dashboard login is named `{login}`")))
}

fn enrolment(user: User, secret: Option<String>) -> Enrolment {
    let otpauth_uri = secret
        .as_deref()
        .and_then(|s| totp(s, &user.login).ok())
        .map(|t| t.get_url());
    Enrolment {
        user,
        totp_secret: secret,
        otpauth_uri,
    }
}

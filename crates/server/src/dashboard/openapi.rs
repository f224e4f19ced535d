//! The API's OpenAPI document (`GET /api/openapi.json`) and Swagger UI (`/api/docs`, its
//! assets built into the binary). The request bodies and the errors have schemas; the
//! registers' rows are described as JSON objects (their fields are documented on the store's
//! types, which do not derive schemas).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{api, api_self, api_views, timeline};

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Charter dashboard API",
        description = "The dashboard's JSON API. Sign in at /login (password, then TOTP code); \
            the session cookie authenticates, and every request that changes something sends \
            the session's CSRF token (GET /api/me) as X-CSRF-Token."
    ),
    paths(
        api::me,
        api::overview,
        api::people,
        timeline::records,
        api::acknowledgements,
        api::acknowledge,
        api::breaches,
        api::open_breach,
        api::subject_requests,
        api::approvals,
        api::approve,
        api::refuse,
        api::alerts,
        api::confirm_alert,
        api::dismiss_alert,
        api::refer_alert,
        api_views::registers,
        api_views::register,
        api_views::team,
        api_views::summary,
        api_views::timeline,
        api_views::audit,
        api_views::policy_rules,
        api_views::policy_lint,
        api_views::inbox,
        api_views::approve_software,
        api_views::refuse_software,
        api_self::my_data,
        api_self::my_export,
        api_self::report_incident,
        api_self::report_lost,
        api_self::ask_software,
        api_self::ask_access,
        api_self::ask_authorisation,
        api_views::approve_authorisation,
        api_views::refuse_authorisation,
    ),
    modifiers(&Security)
)]
pub(crate) struct ApiDoc;

#[derive(Debug)]
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(super::COOKIE))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-CSRF-Token"))),
        );
    }
}

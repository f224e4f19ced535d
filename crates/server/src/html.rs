//! The pages' HTML: small, hand-written, every value through the one escaper.

use charter_engine::text::escape_html;

/// A whole page.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n{body}\n</body></html>\n",
        title = escape_html(title),
    )
}

/// What the person was stopped by: the site, the rule, the clause and its words.
pub(crate) fn stopped(site: &str, rule: &str, clause: &str, quote: &str) -> String {
    format!(
        "<dl>\n<dt>Site</dt><dd>{site}</dd>\n<dt>Rule</dt><dd><code>{rule}</code></dd>\n\
         <dt>Policy clause</dt><dd>{clause}</dd>\n\
         <dt>What it says</dt><dd><blockquote>{quote}</blockquote></dd>\n</dl>",
        site = escape_html(site),
        rule = escape_html(rule),
        clause = escape_html(clause),
        quote = escape_html(quote),
    )
}

/// A form that posts the signed token (and the address they were going to) to `action`,
/// with `fields` before the button.
pub(crate) fn form(action: &str, token: &str, url: &str, fields: &str, button: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"t\" value=\"{token}\">\n\
         <input type=\"hidden\" name=\"url\" value=\"{url}\">\n{fields}\
         <button type=\"submit\">{button}</button>\n</form>",
        action = escape_html(action),
        token = escape_html(token),
        url = escape_html(url),
        button = escape_html(button),
    )
}

/// A paragraph of `text`.
pub(crate) fn para(text: &str) -> String {
    format!("<p>{}</p>", escape_html(text))
}

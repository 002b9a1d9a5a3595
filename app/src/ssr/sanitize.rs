//! Making untrusted email HTML safe to show: no scripts, styles, event
//! handlers or remote images (which would tell the sender that and when the
//! mail was read); links open in a new tab without a referrer.

use ammonia::{Builder, UrlRelative};
use std::sync::LazyLock;

static EMAIL_HTML: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::default();
    builder
        .link_rel(Some("noopener noreferrer nofollow"))
        .set_tag_attribute_value("a", "target", "_blank")
        .url_relative(UrlRelative::Deny)
        .rm_tags(&["img"]);
    builder
});

/// The email's HTML with everything unsafe removed.
pub fn email_html(html: &str) -> String {
    EMAIL_HTML.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_styles_and_remote_images_are_removed() {
        let dirty = r#"<p onclick="steal()" style="color:red">Hi <b>there</b></p><script>alert(1)</script>
            <img src="https://tracker.example/pixel.gif"><a href="https://example.org">site</a>
            <a href="javascript:alert(1)">bad</a>"#;
        let clean = email_html(dirty);
        assert!(clean.contains("<p>Hi <b>there</b></p>"), "{clean}");
        for gone in ["onclick", "style", "script", "alert", "<img", "tracker", "javascript"] {
            assert!(!clean.contains(gone), "{gone} should be gone: {clean}");
        }
        assert!(clean.contains(r#"rel="noopener noreferrer nofollow""#), "{clean}");
    }
}

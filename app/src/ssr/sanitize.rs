//! Making untrusted HTML safe to show: email's (no scripts, styles, event
//! handlers or remote images, which would tell the sender that and when the
//! mail was read) and channel messages' Markdown (a small subset, with no
//! raw HTML at all). Links open in a new tab without a referrer.

use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{Event, Options, Parser};
use std::collections::HashSet;
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

/// The email's HTML with everything unsafe removed but its own inline
/// images: an `<img src="cid:…">` whose Content-ID is a key of `images`
/// shows that image (a `data:` URL, which the message carries, so showing
/// it tells the sender nothing); every other image is removed, as in
/// [`email_html`].
pub fn email_html_with_images(html: &str, images: std::collections::HashMap<String, String>) -> String {
    if images.is_empty() {
        return email_html(html);
    }
    let images = std::sync::Arc::new(images);
    let mut builder = Builder::default();
    builder
        .link_rel(Some("noopener noreferrer nofollow"))
        .set_tag_attribute_value("a", "target", "_blank")
        .url_relative(UrlRelative::Deny)
        .add_tag_attributes("img", ["src", "width", "height"])
        .add_url_schemes(["cid"])
        .attribute_filter(move |element, attribute, value| match (element, attribute) {
            ("img", "src") => value.strip_prefix("cid:").and_then(|id| images.get(id)).map(|data| data.clone().into()),
            (_, "href" | "src") if value.starts_with("cid:") => None,
            _ => Some(value.into()),
        });
    builder.clean(html).to_string()
}

/// What a message's HTML may hold: paragraphs and line breaks, links,
/// bold, italics, strikethrough, inline and block code, lists and quotes.
static MESSAGE_HTML: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::empty();
    builder
        .tags(HashSet::from(["p", "br", "a", "strong", "em", "del", "code", "pre", "ul", "ol", "li", "blockquote"]))
        .tag_attributes([("a", HashSet::from(["href"])), ("ol", HashSet::from(["start"]))].into())
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .set_tag_attribute_value("a", "target", "_blank")
        .url_relative(UrlRelative::Deny);
    builder
});

/// A message's Markdown as HTML safe to show. Raw HTML typed in the
/// message is shown as the text it is; a line break typed is a line break
/// (as in every chat), not a space.
pub fn message_html(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        Event::SoftBreak => Event::HardBreak,
        event => event,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    MESSAGE_HTML.clean(&html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn an_email_shows_its_own_inline_images_and_no_other() {
        let images = HashMap::from([("logo@acme".to_string(), "data:image/png;base64,AAAA".to_string())]);
        let html = email_html_with_images(
            r#"<p>Hi</p><img src="cid:logo@acme" alt="Logo"><img src="cid:other"><img src="https://tracker.example/p.gif"><a href="cid:logo@acme">x</a>"#,
            images,
        );
        assert_eq!(
            html,
            r#"<p>Hi</p><img src="data:image/png;base64,AAAA" alt="Logo"><img><img><a rel="noopener noreferrer nofollow" target="_blank">x</a>"#
        );
        assert!(!email_html(r#"<img src="cid:logo@acme">"#).contains("img"), "without images, none");
    }

    #[test]
    fn a_message_keeps_its_markdown_and_loses_everything_else() {
        let html = message_html(
            "**bold** _it_ `code` [site](https://example.org)\nnext line\n\n- one\n- two\n\n```\nlet x = 1;\n```",
        );
        for kept in [
            "<strong>bold</strong>",
            "<em>it</em>",
            "<code>code</code>",
            r#"href="https://example.org""#,
            r#"rel="noopener noreferrer nofollow""#,
            "<br>",
            "<li>one</li>",
            "<pre><code>let x = 1;\n</code></pre>",
        ] {
            assert!(html.contains(kept), "{kept} should be in {html}");
        }
    }

    #[test]
    fn raw_html_and_dangerous_links_in_a_message_are_only_text() {
        let html = message_html(
            "<script>alert(1)</script> <img src=x onerror=alert(1)>\n\nsee [x](javascript:alert(1)) ![i](https://t.example/p.gif)",
        );
        assert!(html.contains("&lt;script&gt;"), "typed HTML is shown as text: {html}");
        assert!(html.contains(">x</a>"), "the link's text stays: {html}");
        for gone in ["<script", "<img", "href=\"javascript", "t.example"] {
            assert!(!html.contains(gone), "{gone} should be gone: {html}");
        }
    }

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

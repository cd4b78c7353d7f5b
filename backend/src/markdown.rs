//! Markdown of descriptions and comments to HTML that clients insert as is (API.md, "Markdown").
//!
//! CommonMark with GitHub's tables, strikethrough, task lists and bare-URL autolinks, rendered by pulldown-cmark
//! and then put through ammonia's allow-list. Two lines of defence, so that neither alone decides what is safe:
//! raw HTML in the source never becomes markup (it is turned into text before rendering), and whatever the
//! renderer produces is still cleaned (URL schemes, attributes, tags) before anyone sees it.

use std::sync::LazyLock;

use linkify::{LinkFinder, LinkKind};
use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream};

/// The only URL schemes a link or an image keeps.
const URL_SCHEMES: [&str; 3] = ["http", "https", "mailto"];
/// Every link gets it: the page opened learns nothing of us, and search engines give it no weight.
const LINK_REL: &str = "noopener noreferrer nofollow";

/// The sanitised HTML of a Markdown source.
pub fn render(source: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = linkify_text(TextMergeStream::new(Parser::new_ext(source, options)).map(html_as_text));
    let mut html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    SANITIZER.clean(&html).to_string()
}

/// Raw HTML of the source is shown as the text it is, never as markup.
fn html_as_text(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    }
}

/// GitHub's autolinks: a bare `http://`, `https://` or `www.` URL in text (not in code, not already in a link)
/// becomes a link. pulldown-cmark only links `<...>` autolinks, so text is searched for URLs here.
fn linkify_text<'a>(events: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]).url_must_have_scheme(false);
    let mut out = Vec::new();
    // Inside a link, an image's alt text or a code block, text stays text.
    let mut no_links_depth = 0usize;
    for event in events {
        match event {
            Event::Start(tag @ (Tag::Link { .. } | Tag::Image { .. } | Tag::CodeBlock(_))) => {
                no_links_depth += 1;
                out.push(Event::Start(tag));
            }
            Event::End(end @ (TagEnd::Link | TagEnd::Image | TagEnd::CodeBlock)) => {
                no_links_depth = no_links_depth.saturating_sub(1);
                out.push(Event::End(end));
            }
            Event::Text(text) if no_links_depth == 0 => push_linked(&finder, text, &mut out),
            other => out.push(other),
        }
    }
    out
}

/// `text` as text and link events, each bare URL of it a link.
fn push_linked<'a>(finder: &LinkFinder, text: CowStr<'a>, out: &mut Vec<Event<'a>>) {
    let mut rest = 0;
    for link in finder.links(&text) {
        let url = link.as_str();
        let lower = url.to_ascii_lowercase();
        let href = if lower.starts_with("http://") || lower.starts_with("https://") {
            url.to_owned()
        } else if lower.starts_with("www.") {
            format!("http://{url}")
        } else {
            // A bare domain (`example.com`) or another scheme: GitHub leaves those as text.
            continue;
        };
        if link.start() > rest {
            out.push(Event::Text(CowStr::from(text[rest..link.start()].to_owned())));
        }
        out.push(Event::Start(Tag::Link {
            link_type: LinkType::Autolink,
            dest_url: CowStr::from(href),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        }));
        out.push(Event::Text(CowStr::from(url.to_owned())));
        out.push(Event::End(TagEnd::Link));
        rest = link.end();
    }
    if rest == 0 {
        out.push(Event::Text(text));
    } else if rest < text.len() {
        out.push(Event::Text(CowStr::from(text[rest..].to_owned())));
    }
}

/// ammonia's defaults (no `<script>`, `<style>`, `<iframe>`, `<form>`, no `style` or event attributes) with
/// only our schemes, no relative URLs, our `rel`, and the task list's disabled checkbox as the one `<input>`.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(URL_SCHEMES.into_iter().collect())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some(LINK_REL))
        // Only the renderer writes an `<input>` (raw HTML became text): a task list's disabled checkbox, which
        // keeps exactly those attributes with exactly those values.
        .add_tags(["input"])
        .add_tag_attribute_values("input", "type", ["checkbox"])
        .add_tag_attribute_values("input", "disabled", [""])
        .add_tag_attribute_values("input", "checked", [""]);
    builder
});

#[cfg(test)]
mod tests {
    use super::render;

    /// The tags of sanitised output: every literal `<` starts one (text has `&lt;`).
    fn tags(html: &str) -> Vec<&str> {
        html.split('<').skip(1).map(|rest| rest.split('>').next().unwrap_or(rest)).collect()
    }

    /// Attribute name and value pairs of one tag as ammonia writes them (`name="value"`, values escaped).
    fn attributes(tag: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut rest = tag.split_once(char::is_whitespace).map_or("", |(_, attrs)| attrs).trim_end_matches('/');
        while let Some((name, after)) = rest.split_once("=\"") {
            let Some((value, tail)) = after.split_once('"') else { break };
            out.push((name.trim().to_ascii_lowercase(), value.to_owned()));
            rest = tail;
        }
        out
    }

    /// Fails unless `html` is inert: no script-capable tag, no event handler or style attribute, no URL but
    /// http(s) and mailto, and every link with the documented `rel`.
    #[track_caller]
    fn assert_inert(source: &str, html: &str) {
        for tag in tags(html) {
            let name = tag.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
            let name = name.to_ascii_lowercase();
            for banned in
                ["script", "iframe", "style", "svg", "math", "object", "embed", "form", "link", "meta", "base"]
            {
                assert_ne!(name, banned, "{source:?} gave a <{name}>: {html}");
            }
            let attrs = attributes(tag);
            for (attr, value) in &attrs {
                assert!(!attr.starts_with("on"), "{source:?} gave an event attribute: {html}");
                for scheme in ["javascript:", "vbscript:", "data:"] {
                    assert!(!value.to_ascii_lowercase().contains(scheme), "{source:?} kept a {scheme} URL: {html}");
                }
                assert_ne!(attr, "style", "{source:?} gave a style attribute: {html}");
                if ["href", "src", "action", "formaction", "xlink:href", "srcset", "background"]
                    .contains(&attr.as_str())
                {
                    let url = value.to_ascii_lowercase();
                    assert!(
                        url.starts_with("http://") || url.starts_with("https://") || url.starts_with("mailto:"),
                        "{source:?} kept the URL {value:?}: {html}"
                    );
                }
            }
            if name == "a" && !tag.starts_with('/') {
                assert!(
                    attrs.iter().any(|(a, v)| a == "rel" && v == "noopener noreferrer nofollow"),
                    "{source:?}: a link without the rel: {html}"
                );
            }
            if name == "input" {
                let mut names: Vec<&str> = attrs.iter().map(|(a, _)| a.as_str()).collect();
                names.sort_unstable();
                assert!(names == ["disabled", "type"] || names == ["checked", "disabled", "type"], "{html}");
                assert!(attrs.contains(&("type".into(), "checkbox".into())), "{html}");
            }
        }
        // Text may say anything (`&lt;script&gt;` is harmless); markup may not.
        assert!(!html.to_ascii_lowercase().contains("<script"), "{source:?}: {html}");
    }

    /// Filter-evasion payloads (OWASP's XSS cheat sheet and friends), as raw HTML and as Markdown.
    const PAYLOADS: &[&str] = &[
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
        "<scr<script>ipt>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<IMG SRC=\"javascript:alert('XSS');\">",
        "<IMG SRC=javascript:alert('XSS')>",
        "<IMG SRC=JaVaScRiPt:alert('XSS')>",
        "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
        "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
        "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
        "<IMG SRC=\"jav\tascript:alert('XSS');\">",
        "<svg onload=alert(1)>",
        "<svg/onload=alert('XSS')>",
        "<BODY ONLOAD=alert('XSS')>",
        "<iframe src=\"javascript:alert(1)\"></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<style>@import 'https://xss.example/xss.css';</style>",
        "<div style=\"background-image: url(javascript:alert('XSS'))\">x</div>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
        "<a onmouseover=\"alert(document.cookie)\">xxs link</a>",
        "<form action=\"javascript:alert(1)\"><input type=submit></form>",
        "<input type=\"text\" value=\"x\" onfocus=alert(1) autofocus>",
        "<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\"></object>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<details open ontoggle=alert(1)>",
        "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
        "<!--<img src=\"--><img src=x onerror=alert(1)//\">",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1))",
        "[x](java%73cript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x]( javascript:alert(1) )",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](vbscript:msgbox(1))",
        "[x](VBScript:msgbox(1))",
        "![x](javascript:alert(1))",
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "![x\" onerror=\"alert(1)](https://example.com/a.png)",
        "[x](https://example.com/\" onclick=\"alert(1))",
        "[x](https://example.com \"title\\\" onmouseover=alert(1) x=\\\"\")",
        "<javascript:alert(1)>",
        "<JAVASCRIPT:alert(1)>",
        "<vbscript:msgbox(1)>",
        "<data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>",
        "[ref]\n\n[ref]: javascript:alert(1)",
        "[ref]\n\n[ref]: data:text/html,<script>alert(1)</script>",
        "```\n<script>alert(1)</script>\n```",
        "`<img src=x onerror=alert(1)>`",
        "- [x] <img src=x onerror=alert(1)>",
        "| a | b |\n| - | - |\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
        "javascript:alert(1)//https://example.com",
        "www.example.com\" onmouseover=\"alert(1)",
        "https://example.com/<script>alert(1)</script>",
    ];

    #[test]
    fn known_xss_payloads_come_out_inert() {
        for payload in PAYLOADS {
            let html = render(payload);
            assert_inert(payload, &html);
        }
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = render("<img src=x onerror=alert(1)> and <b>bold</b>");
        assert!(!html.contains("<img") && !html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{html}");

        let block = render("<div>\n<script>alert(1)</script>\n</div>");
        assert!(block.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{block}");
    }

    #[test]
    fn links_with_other_schemes_lose_their_url_but_keep_their_text() {
        let html = render("[click](javascript:alert(1))");
        assert!(html.contains(">click</a>"), "{html}");
        assert!(!html.contains("href"), "{html}");
        let image = render("![pic](javascript:alert(1))");
        assert!(!image.contains("src="), "{image}");
        let relative = render("[home](/api/boards)");
        assert!(!relative.contains("href"), "relative URLs are not ours to resolve: {relative}");
    }

    #[test]
    fn links_keep_http_https_and_mailto_and_get_the_rel() {
        let html = render("[a](https://example.com/a) [b](http://example.com/b) [c](mailto:ann@example.com)");
        for href in ["https://example.com/a", "http://example.com/b", "mailto:ann@example.com"] {
            assert!(html.contains(&format!("href=\"{href}\"")), "{href}: {html}");
        }
        assert_eq!(html.matches("rel=\"noopener noreferrer nofollow\"").count(), 3, "{html}");
        let image = render("![logo](https://example.com/logo.png)");
        assert!(image.contains("<img src=\"https://example.com/logo.png\" alt=\"logo\">"), "{image}");
    }

    #[test]
    fn tables_strikethrough_and_emphasis_render() {
        let html = render("| Task | Owner |\n| --- | :-: |\n| Ship | ~~Bob~~ **Ann** |\n");
        for part in [
            "<table>",
            "<thead>",
            "<th>Task</th>",
            "<tbody>",
            "<td>Ship</td>",
            "<del>Bob</del>",
            "<strong>Ann</strong>",
        ] {
            assert!(html.contains(part), "{part}: {html}");
        }
        assert!(!html.contains("style"), "alignment styles are not kept: {html}");
    }

    #[test]
    fn task_lists_are_disabled_checkboxes() {
        let html = render("- [x] done\n- [ ] open\n");
        assert!(html.contains("<input disabled=\"\" type=\"checkbox\" checked=\"\">"), "{html}");
        assert!(html.contains("<input disabled=\"\" type=\"checkbox\">"), "{html}");
        assert_eq!(html.matches("<input").count(), 2, "{html}");
        assert_inert("task list", &html);
    }

    #[test]
    fn bare_urls_become_links_with_the_rel() {
        let html = render("See https://example.com/docs?a=1&b=2, or www.example.org.");
        assert!(
            html.contains(
                "<a href=\"https://example.com/docs?a=1&amp;b=2\" rel=\"noopener noreferrer nofollow\">\
                 https://example.com/docs?a=1&amp;b=2</a>,"
            ),
            "{html}"
        );
        assert!(
            html.contains(
                "<a href=\"http://www.example.org\" rel=\"noopener noreferrer nofollow\">www.example.org</a>."
            ),
            "{html}"
        );
        let angle = render("<https://example.com>");
        assert!(angle.contains("<a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">"), "{angle}");
    }

    #[test]
    fn urls_in_code_and_links_and_bare_domains_stay_as_they_are() {
        let code = render("`https://example.com` and\n\n```\nhttps://example.org\n```");
        assert!(!code.contains("<a"), "{code}");
        let linked = render("[https://example.com](https://example.net)");
        assert_eq!(linked.matches("<a").count(), 1, "{linked}");
        assert!(!render("example.com").contains("<a"));
    }

    #[test]
    fn plain_text_and_empty_sources_render_plainly() {
        assert_eq!(render(""), "");
        assert_eq!(render("Hello *world* & you"), "<p>Hello <em>world</em> &amp; you</p>\n");
    }
}

//! Rendering buildspec templates with handlebars: strict (a missing variable is an error), no
//! HTML escaping (this is YAML and shell, not HTML), and a `sh` helper that refuses anything
//! but a safe shell word and single-quotes it. The rendered text is parsed back into a typed
//! [`Buildspec`], so bad YAML or an unknown key fails here, naming the template and line.

use handlebars::{Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason};
use serde::Serialize;

use super::Buildspec;

/// Why a buildspec could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Handlebars rejected the template or a partial, or rendering failed (a missing variable,
    /// a value the `sh` helper refuses).
    #[error("buildspec template {template}: {message}")]
    Template {
        /// The template's name, as passed to [`render`].
        template: String,
        /// Handlebars' reason, prefixed with the template line when it has one.
        message: String,
    },
    /// The rendered text is not a valid [`Buildspec`]: bad YAML, an unknown key or a missing one.
    #[error("buildspec template {template} renders invalid YAML at rendered line {line}: {message}")]
    Yaml {
        /// The template's name, as passed to [`render`].
        template: String,
        /// The 1-based line of the rendered text (not of the template) the error is at; 0 when
        /// the YAML parser gives no position.
        line: usize,
        /// The YAML parser's message.
        message: String,
    },
}

/// A value is a safe shell word when it holds only these characters: no spaces, quotes,
/// `$`, backticks, globs, redirections or separators.
pub fn is_shell_word(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 512
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:/@=+,-".contains(&b))
}

/// `{{sh value}}`: the value single-quoted, or an error if it is not a safe shell word.
fn sh_helper(h: &Helper, _: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output) -> HelperResult {
    let param = h.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex("sh", 0))?;
    let value = match param.value() {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        other => return Err(RenderErrorReason::Other(format!("sh: {other} is not a string")).into()),
    };
    if !is_shell_word(&value) {
        let shown: String = value.chars().take(60).flat_map(char::escape_debug).collect();
        return Err(RenderErrorReason::Other(format!(
            "sh: `{shown}` ({}) is not a safe shell word; only letters, digits and ._:/@=+,- may reach a command",
            param.relative_path().map_or("value", String::as_str)
        ))
        .into());
    }
    out.write(&format!("'{value}'"))?;
    Ok(())
}

/// A handlebars registry set up for buildspecs.
fn registry() -> Handlebars<'static> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    registry.register_helper("sh", Box::new(sh_helper));
    registry
}

/// Renders template `name` (its text `template`) with `data` and parses the result.
pub fn render(name: &str, template: &str, data: &impl Serialize) -> Result<(String, Buildspec), RenderError> {
    render_with(name, template, &[], data)
}

/// Like [`render`], with `partials` registered for `{{> name}}`.
pub fn render_with(
    name: &str,
    template: &str,
    partials: &[(&str, &str)],
    data: &impl Serialize,
) -> Result<(String, Buildspec), RenderError> {
    let mut registry = registry();
    let template_error = |message: String| RenderError::Template { template: name.to_owned(), message };
    for (partial, text) in partials {
        registry.register_partial(partial, *text).map_err(|err| template_error(format!("partial {partial}: {err}")))?;
    }
    registry.register_template_string(name, template).map_err(|err| template_error(err.to_string()))?;
    let text = registry.render(name, data).map_err(|err| {
        let position = err.line_no.map(|line| format!("line {line}: ")).unwrap_or_default();
        template_error(format!("{position}{}", err.reason()))
    })?;
    let spec: Buildspec = serde_yaml::from_str(&text).map_err(|err| RenderError::Yaml {
        template: name.to_owned(),
        line: err.location().map_or(0, |l| l.line()),
        message: err.to_string(),
    })?;
    Ok((text, spec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TEMPLATE: &str = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo {{sh tenant}}\n";

    #[test]
    fn renders_quoted_values() {
        let (text, spec) = render("t.yml.hbs", TEMPLATE, &json!({"tenant": "acme"})).unwrap();
        assert!(text.contains("echo 'acme'"));
        assert_eq!(spec.commands().collect::<Vec<_>>(), ["echo 'acme'"]);
    }

    #[test]
    fn a_missing_variable_fails_with_the_template_and_line() {
        let err = render("t.yml.hbs", TEMPLATE, &json!({})).unwrap_err().to_string();
        assert!(err.contains("t.yml.hbs") && err.contains("line 5"), "{err}");
    }

    #[test]
    fn shell_metacharacters_never_reach_a_command() {
        for hostile in ["$(rm -rf /)", "a b", "x;id", "`id`", "a'b", "${HOME}", "a|b", "a>b", "{{x}}", "", "é"] {
            let err = render("t.yml.hbs", TEMPLATE, &json!({"tenant": hostile})).unwrap_err().to_string();
            assert!(err.contains("not a safe shell word"), "{hostile:?}: {err}");
        }
    }

    #[test]
    fn invalid_yaml_and_unknown_keys_fail_with_the_template_name() {
        let err = render("bad.yml.hbs", "version: 0.2\nphases: [\n", &json!({})).unwrap_err().to_string();
        assert!(err.contains("bad.yml.hbs") && err.contains("invalid YAML"), "{err}");
        let err = render("keys.yml.hbs", "version: 0.2\nphases:\n  bild:\n    commands: []\n", &json!({}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("keys.yml.hbs") && err.contains("unknown field `bild`"), "{err}");
    }

    #[test]
    fn html_is_not_escaped() {
        let template = "version: 0.2\nphases:\n  build:\n    commands:\n      - test {{sh a}} && echo ok > /tmp/x\n";
        let (text, _) = render("t.yml.hbs", template, &json!({"a": "a=b"})).unwrap();
        assert!(text.contains("test 'a=b' && echo ok > /tmp/x"), "{text}");
    }
}

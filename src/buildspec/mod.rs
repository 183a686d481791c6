//! CodeBuild buildspecs: a typed model of the format, and rendering from the handlebars
//! templates in `buildspecs/*.yml.hbs` (compiled into the binary). The data each template gets
//! is the compiler's (`compile::BuildspecData`); this module depends on nothing above `model`
//! and does no IO.

pub mod aws_cli;
mod render;
mod spec;
mod templates;

pub use render::{RenderError, is_shell_word, render, render_with};
pub use spec::{Artifacts, Buildspec, Env, OnFailure, Phase, Phases};
pub use templates::{PARTIALS, SITE_TEMPLATE, TEMPLATES};

//! CodeBuild buildspecs: a typed model of the format, rendering from the handlebars templates
//! in `buildspecs/*.yml.hbs` (compiled into the binary), and the data each template gets.
//! This module does no IO.

pub mod aws_cli;
mod data;
mod render;
mod spec;

pub use data::{BuildspecData, TEMPLATES, Tools, render_all};
pub use render::{RenderError, is_shell_word, render, render_with};
pub use spec::{Artifacts, Buildspec, Env, OnFailure, Phase, Phases};

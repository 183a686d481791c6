//! The AWS calls the buildspecs' shell commands make, besides tenancy's own SDK calls (those are
//! declared next to each caller, `IAM_ACTIONS`): every `aws <service> <command>` a buildspec
//! runs and the IAM actions it needs ([`AWS_CLI_ACTIONS`]), and the other programs they run
//! that reach AWS ([`TOOL_ACTIONS`]) or never do ([`NO_AWS_PROGRAMS`]).
//!
//! `tests/declared_calls.rs` reads every generated buildspec and fails on an `aws` command not
//! in the table and on a program in neither list, so a new call cannot go unrecorded.
//!
//! The shell reading here is the part of bash the buildspecs use: words and quotes (`'…'`,
//! `"…"`, `\`), `;`, `&&`, `||`, `|`, `&`, newlines, subshells, `$(…)` and backticks (read as
//! commands of their own), `${…}`, `[[ … ]]`, comments, and redirections (`2>&1` included).
//! Not here-documents, `case` or `for`.

/// An AWS CLI command, `"<service> <command>"` (or `"<service> wait <waiter>"`), and the IAM
/// actions it calls. Sorted by command.
pub const AWS_CLI_ACTIONS: &[(&str, &[&str])] = &[
    // CreateInvalidation (Amazon CloudFront API Reference; Service Authorization Reference,
    // "Actions defined by Amazon CloudFront": resource type distribution).
    ("cloudfront create-invalidation", &["cloudfront:CreateInvalidation"]),
    // AWS CLI reference, `aws cloudfront wait invalidation-completed`: polls
    // `aws cloudfront get-invalidation` every 20 seconds until the status is Completed
    // (30 checks at most); GetInvalidation takes resource type distribution.
    ("cloudfront wait invalidation-completed", &["cloudfront:GetInvalidation"]),
    // DescribeImageScanFindings (Service Authorization Reference, "Actions defined by Amazon
    // Elastic Container Registry").
    ("ecr describe-image-scan-findings", &["ecr:DescribeImageScanFindings"]),
    ("ecr describe-images", &["ecr:DescribeImages"]),
    // AWS CLI reference, `aws ecr get-login-password`: "retrieves an authentication token using
    // the GetAuthorizationToken API"; the action takes resource "*" only (Amazon ECR User Guide,
    // "IAM permissions for pushing an image").
    ("ecr get-login-password", &["ecr:GetAuthorizationToken"]),
    // AWS CLI reference, `aws ecr wait image-scan-complete`: polls
    // `aws ecr describe-image-scan-findings` every 5 seconds until the scan is complete.
    ("ecr wait image-scan-complete", &["ecr:DescribeImageScanFindings"]),
    ("eks describe-cluster", &["eks:DescribeCluster"]),
    // No AWS call: the AWS CLI's `awscli/customizations/eks/get_token.py` presigns an
    // sts:GetCallerIdentity URL locally, and GetCallerIdentity needs no permission anyway (AWS
    // STS API Reference: "No permissions are required to perform this operation"). The cluster
    // authorizes the token by its access entries, not by IAM. It is what the kubeconfig that
    // `eks update-kubeconfig` writes runs for kubectl and helm.
    ("eks get-token", &[]),
    // Amazon EKS User Guide, "Connect kubectl to an EKS cluster by creating a kubeconfig file":
    // the command needs eks:DescribeCluster on the cluster (it reads the endpoint and the
    // certificate authority; `awscli/customizations/eks/update_kubeconfig.py` calls
    // DescribeCluster).
    ("eks update-kubeconfig", &["eks:DescribeCluster"]),
    // Every action `s3 cp` may need; `cli_calls_of` keeps those of the direction: a download
    // (source `s3://`) is HeadObject and GetObject, both s3:GetObject (Amazon S3 API Reference,
    // HeadObject and GetObject, "Permissions"), and with `--recursive` a listing, s3:ListBucket
    // (ListObjectsV2); an upload (destination `s3://`) is PutObject, or for a large file
    // CreateMultipartUpload, UploadPart and CompleteMultipartUpload, all s3:PutObject (Service
    // Authorization Reference, "Actions defined by Amazon S3"). A bucket encrypted with a
    // customer managed key needs kms:GenerateDataKey / kms:Decrypt on the key too: a property of
    // the bucket, not of the command, so not listed here.
    ("s3 cp", &["s3:GetObject", "s3:ListBucket", "s3:PutObject"]),
    // AWS STS API Reference, GetCallerIdentity: "No permissions are required".
    ("sts get-caller-identity", &[]),
];

/// The other programs the buildspecs run that reach AWS: the invocation (`"<program>"` or
/// `"<program> <subcommand>"`), the IAM actions it needs, and where that fact comes from. An
/// empty list means the program makes no AWS call of its own; the note says how it is covered.
/// Sorted by invocation.
pub const TOOL_ACTIONS: &[(&str, &[&str], &str)] = &[
    (
        "docker build",
        &[],
        "pulls its base images from public.ecr.aws (Amazon ECR Public allows anonymous pulls) and \
         gcr.io (services/*/Dockerfile): no AWS permission. A FROM naming a private ECR repository \
         would need ecr:BatchGetImage and ecr:GetDownloadUrlForLayer (Amazon ECR User Guide, \
         \"Private repository policies\").",
    ),
    (
        "docker login",
        &[],
        "logs in to the registry with the password `aws ecr get-login-password` printed \
         (ecr:GetAuthorizationToken, counted there); no AWS API call of its own.",
    ),
    (
        "docker push",
        &[
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:CompleteLayerUpload",
            "ecr:InitiateLayerUpload",
            "ecr:PutImage",
            "ecr:UploadLayerPart",
        ],
        "Amazon ECR User Guide, \"IAM permissions for pushing an image to an Amazon ECR private \
         repository\": CompleteLayerUpload, UploadLayerPart, InitiateLayerUpload, \
         BatchCheckLayerAvailability, PutImage on the repository (and GetAuthorizationToken on \
         \"*\", for the login); the current page's repository-scoped example adds \
         ecr:BatchGetImage.",
    ),
    (
        "eksctl",
        &[
            "autoscaling:*",
            "cloudformation:*",
            "cloudwatch:*",
            "ec2:*",
            "eks:*",
            "elasticloadbalancing:*",
            "iam:AddRoleToInstanceProfile",
            "iam:AttachRolePolicy",
            "iam:CreateInstanceProfile",
            "iam:CreatePolicy",
            "iam:CreateRole",
            "iam:CreateServiceLinkedRole",
            "iam:DeleteInstanceProfile",
            "iam:DeletePolicy",
            "iam:DeleteRole",
            "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy",
            "iam:GetInstanceProfile",
            "iam:GetPolicy",
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:GetUser",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
            "iam:ListPolicyVersions",
            "iam:PassRole",
            "iam:PutRolePolicy",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "kms:CreateGrant",
            "kms:DescribeKey",
            "logs:PutRetentionPolicy",
            "ssm:GetParameter",
            "ssm:GetParameters",
        ],
        "eksctl's documented minimum (eksctl.io/usage/minimum-iam-policies): AmazonEC2FullAccess \
         (ec2, elasticloadbalancing, cloudwatch, autoscaling, conditioned \
         iam:CreateServiceLinkedRole), AWSCloudFormationFullAccess, EksAllAccess (eks:*, \
         ssm:GetParameter(s) on the aws/ parameters, kms:CreateGrant and DescribeKey, \
         logs:PutRetentionPolicy) and IamLimitedAccess (on eksctl-* roles, instance profiles and \
         policies; iam:GetRole and GetUser on any, for access entries). Its OpenID Connect \
         provider actions are left out: the cluster uses EKS Pod Identity, not IRSA. The cluster \
         project grants this as PowerUserAccess plus compile::pipeline's EKSCTL_IAM_ACTIONS.",
    ),
    (
        "helm",
        &[],
        "reaches the cluster through the kubeconfig, whose exec plugin runs `aws eks get-token` (no \
         IAM action, see AWS_CLI_ACTIONS); the cluster authorizes by EKS access entry. Charts come \
         over HTTPS from their repositories. What the installed add-ons call is their own Pod \
         Identity roles'.",
    ),
    (
        "kubectl",
        &[],
        "reaches the cluster through the kubeconfig, whose exec plugin runs `aws eks get-token` (no \
         IAM action, see AWS_CLI_ACTIONS); the cluster authorizes by EKS access entry.",
    ),
    (
        "tenancy apply",
        &[],
        "its AWS SDK calls are declared next to each caller (the IAM_ACTIONS tables of src/apply), \
         held to the calls by tests/declared_calls.rs and proven granted by tests/permissions.rs.",
    ),
    (
        "tenancy job",
        &[],
        "its registry and lifecycle-topic calls are declared by tenancy-registry (IAM_ACTIONS of \
         its dynamo and events modules), and the apply it runs is `tenancy apply`'s; git reaches \
         the platform repository with the credential from Secrets Manager, which CodeBuild reads \
         before the build (secretsmanager:GetSecretValue, granted to the onboarding role).",
    ),
];

/// Programs (or `"<program> <subcommand>"`) the buildspecs run that make no AWS call, and why.
/// Sorted.
pub const NO_AWS_PROGRAMS: &[(&str, &str)] = &[
    ("[", "the shell's test"),
    ("[[", "the shell's conditional"),
    ("cargo", "builds tenancy; downloads crates from crates.io"),
    ("cat", "reads a file"),
    ("cd", "a shell builtin"),
    ("chmod", "local files"),
    (
        "curl",
        "downloads the pinned tools from their release URLs (dl.k8s.io, get.helm.sh, github.com, static.rust-lang.org)",
    ),
    ("cut", "text"),
    ("echo", "a shell builtin"),
    ("exit", "a shell builtin"),
    ("export", "a shell builtin"),
    ("find", "local files"),
    ("git", "reaches the platform repository (HTTPS or SSH), not AWS"),
    ("grep", "text"),
    ("install", "local files"),
    ("node", "runs the web apps' build script (web/build.mjs): local files only"),
    ("npm ci", "installs the web apps' packages from their lockfile (registry.npmjs.org), not AWS"),
    ("printf", "a shell builtin"),
    ("rustup-init", "installs the pinned toolchain from static.rust-lang.org"),
    ("sha256sum", "local files"),
    ("sort", "text"),
    ("tar", "local files"),
    ("tenancy --version", "prints its version"),
    ("tenancy check", "compares generated/ with what the blueprint compiles to: no AWS call"),
    ("tenancy verify", "proves isolation and sufficiency on generated/: reads files only, no AWS call"),
    ("test", "the shell's test"),
    ("xargs", "runs sha256sum over local files"),
];

/// One `aws` invocation: its command (a key of [`AWS_CLI_ACTIONS`]) and the actions this
/// invocation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliCall {
    /// The `"<service> <command>"` (or `"<service> wait <waiter>"`) key it matched in
    /// [`AWS_CLI_ACTIONS`].
    pub command: &'static str,
    /// The IAM actions this invocation calls: the table's, except for `s3 cp`, whose actions
    /// depend on the direction of the copy.
    pub actions: Vec<&'static str>,
}

/// The IAM actions of every `aws <service> <command>` that `command_line` runs, sorted and
/// without repeats; an error naming an `aws` command that is not in [`AWS_CLI_ACTIONS`].
pub fn actions_of(command_line: &str) -> Result<Vec<&'static str>, String> {
    let mut actions: Vec<&'static str> = cli_calls_of(command_line)?.into_iter().flat_map(|c| c.actions).collect();
    actions.sort_unstable();
    actions.dedup();
    Ok(actions)
}

/// Every `aws` invocation of `command_line`, in order; an error naming an `aws` command that is
/// not in [`AWS_CLI_ACTIONS`] (or whose service or command is not a literal word).
pub fn cli_calls_of(command_line: &str) -> Result<Vec<CliCall>, String> {
    let mut calls = Vec::new();
    for words in commands_of(command_line) {
        if program_name(&words[0]) == "aws" {
            calls.push(cli_call(&words[1..])?);
        }
    }
    Ok(calls)
}

/// The [`TOOL_ACTIONS`] invocations `command_line` runs; an error naming a program that is in
/// neither [`TOOL_ACTIONS`] nor [`NO_AWS_PROGRAMS`] (`aws` itself is [`actions_of`]'s).
pub fn tools_of(command_line: &str) -> Result<Vec<&'static str>, String> {
    let mut tools = Vec::new();
    for words in commands_of(command_line) {
        let program = program_name(&words[0]);
        if program == "aws" {
            continue;
        }
        if program.contains('$') || program.is_empty() {
            return Err(format!("cannot tell which program `{}` runs in `{command_line}`", words[0]));
        }
        let with_subcommand = words.get(1).map(|sub| format!("{program} {sub}"));
        let candidates: Vec<&str> = with_subcommand.as_deref().into_iter().chain([program]).collect();
        if let Some(tool) = candidates.iter().find_map(|c| TOOL_ACTIONS.iter().find(|(name, ..)| name == c)) {
            tools.push(tool.0);
        } else if !candidates.iter().any(|c| NO_AWS_PROGRAMS.iter().any(|(name, _)| name == c)) {
            return Err(format!(
                "`{program}` is in neither TOOL_ACTIONS nor NO_AWS_PROGRAMS (src/buildspec/aws_cli.rs): \
                 record what AWS calls it makes, if any"
            ));
        }
    }
    Ok(tools)
}

/// The AWS CLI's global options that take no value; every other `--option` takes one.
const GLOBAL_FLAGS: &[&str] =
    &["--debug", "--no-cli-auto-prompt", "--no-cli-pager", "--no-paginate", "--no-sign-request", "--no-verify-ssl"];

/// `s3 cp` options that take no value (AWS CLI reference, `aws s3 cp`).
const S3_CP_FLAGS: &[&str] = &[
    "--dryrun",
    "--follow-symlinks",
    "--force-glacier-transfer",
    "--ignore-glacier-warnings",
    "--no-follow-symlinks",
    "--no-guess-mime-type",
    "--no-progress",
    "--only-show-errors",
    "--quiet",
    "--recursive",
];

fn is_redirection(word: &str) -> bool {
    word.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&').starts_with(['<', '>'])
}

/// The words after `aws` into the command and its actions.
fn cli_call(args: &[String]) -> Result<CliCall, String> {
    let mut rest = args.iter().filter(|w| !is_redirection(w)).map(String::as_str).peekable();
    // Global options before the service.
    while let Some(word) = rest.peek().copied()
        && word.starts_with("--")
    {
        rest.next();
        if !GLOBAL_FLAGS.contains(&word) && !word.contains('=') {
            rest.next();
        }
    }
    let service = rest.next().ok_or("`aws` without a service")?;
    let command = rest.next().ok_or_else(|| format!("`aws {service}` without a command"))?;
    let key = if command == "wait" {
        let waiter = rest.next().ok_or_else(|| format!("`aws {service} wait` without a waiter"))?;
        format!("{service} wait {waiter}")
    } else {
        format!("{service} {command}")
    };
    if key.contains(['$', '`']) {
        return Err(format!("`aws {key}`: the service and command must be literal words"));
    }
    let Some((command, actions)) = AWS_CLI_ACTIONS.iter().find(|(name, _)| *name == key) else {
        return Err(format!(
            "`aws {key}` is not in AWS_CLI_ACTIONS (src/buildspec/aws_cli.rs): add it with the IAM actions it calls"
        ));
    };
    let actions = if *command == "s3 cp" { s3_cp_actions(rest.collect())? } else { actions.to_vec() };
    Ok(CliCall { command, actions })
}

/// The actions of one `s3 cp`, by direction.
fn s3_cp_actions(args: Vec<&str>) -> Result<Vec<&'static str>, String> {
    let mut positional = Vec::new();
    let mut recursive = false;
    let mut words = args.into_iter();
    while let Some(word) = words.next() {
        if word == "--recursive" {
            recursive = true;
        } else if word.starts_with("--") {
            if !S3_CP_FLAGS.contains(&word) && !GLOBAL_FLAGS.contains(&word) && !word.contains('=') {
                words.next();
            }
        } else {
            positional.push(word);
        }
    }
    let [source, destination] = positional[..] else {
        return Err(format!("`aws s3 cp` takes a source and a destination, not {positional:?}"));
    };
    let mut actions = Vec::new();
    if source.starts_with("s3://") {
        actions.push("s3:GetObject");
        if recursive {
            actions.push("s3:ListBucket");
        }
    }
    if destination.starts_with("s3://") {
        actions.push("s3:PutObject");
    }
    if actions.is_empty() {
        return Err(format!("`aws s3 cp {source} {destination}`: neither side is s3://"));
    }
    actions.sort_unstable();
    Ok(actions)
}

/// A program's name: the last part of its path (`target/release/tenancy` is `tenancy`).
fn program_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

const RESERVED: &[&str] = &["!", "{", "}", "do", "done", "elif", "else", "fi", "if", "then", "time", "until", "while"];

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// The simple commands `line` runs, each as its words with the quotes removed, starting at the
/// program (reserved words, variable assignments and leading redirections dropped). Commands in
/// `$(…)` and backticks come before the command they are part of.
pub fn commands_of(line: &str) -> Vec<Vec<String>> {
    let mut raw = Vec::new();
    Reader { chars: line.chars().collect(), at: 0 }.read(&mut raw);
    raw.into_iter()
        .filter_map(|words| {
            let start = words
                .iter()
                .position(|w| !(RESERVED.contains(&w.as_str()) || is_assignment(w) || is_redirection(w)))?;
            Some(words[start..].to_vec())
        })
        .collect()
}

struct Reader {
    chars: Vec<char>,
    at: usize,
}

impl Reader {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    /// The text up to the `close` that matches the opening just read (nested openings, quotes
    /// and escapes skipped); the reader ends after it.
    fn enclosed(&mut self, open: char, close: char) -> String {
        let start = self.at;
        let mut depth = 1;
        while let Some(c) = self.peek(0) {
            match c {
                '\\' => self.at += 1,
                '\'' if open != '`' => {
                    self.at += 1;
                    while self.peek(0).is_some_and(|c| c != '\'') {
                        self.at += 1;
                    }
                }
                '"' if open != '`' => {
                    self.at += 1;
                    while let Some(c) = self.peek(0)
                        && c != '"'
                    {
                        if c == '\\' {
                            self.at += 1;
                        }
                        self.at += 1;
                    }
                }
                c if c == close && open != close => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                c if c == close => break,
                c if c == open => depth += 1,
                _ => {}
            }
            self.at += 1;
        }
        let text: String = self.chars[start..self.at.min(self.chars.len())].iter().collect();
        self.at += 1;
        text
    }

    /// A `$…` expansion at the reader (just after the `$`): a command substitution is read as
    /// commands of its own; its text stays in the word as written.
    fn dollar(&mut self, word: &mut String, out: &mut Vec<Vec<String>>) {
        match self.peek(0) {
            Some('(') if self.peek(1) == Some('(') => {
                self.at += 2;
                let text = self.enclosed('(', ')');
                self.at += 1;
                word.push_str(&format!("$(({text}))"));
            }
            Some('(') => {
                self.at += 1;
                let text = self.enclosed('(', ')');
                Reader { chars: text.chars().collect(), at: 0 }.read(out);
                word.push_str(&format!("$({text})"));
            }
            Some('{') => {
                self.at += 1;
                let text = self.enclosed('{', '}');
                word.push_str(&format!("${{{text}}}"));
            }
            _ => word.push('$'),
        }
    }

    /// `[[ … ]]` at the start of a command: one command, `[[`, whatever its operands hold.
    fn conditional(&mut self) {
        self.at += 2;
        while let Some(c) = self.peek(0) {
            match c {
                '\\' => self.at += 1,
                '\'' | '"' => {
                    self.at += 1;
                    while self.peek(0).is_some_and(|q| q != c) {
                        self.at += 1;
                    }
                }
                ']' if self.peek(1) == Some(']')
                    && self.chars.get(self.at.wrapping_sub(1)).is_some_and(|p| p.is_whitespace()) =>
                {
                    self.at += 2;
                    return;
                }
                _ => {}
            }
            self.at += 1;
        }
    }

    fn read(&mut self, out: &mut Vec<Vec<String>>) {
        let mut words: Vec<String> = Vec::new();
        let mut word: Option<String> = None;
        fn end_word(words: &mut Vec<String>, word: &mut Option<String>) {
            if let Some(w) = word.take() {
                words.push(w);
            }
        }
        fn end_command(out: &mut Vec<Vec<String>>, words: &mut Vec<String>, word: &mut Option<String>) {
            end_word(words, word);
            if !words.is_empty() {
                out.push(std::mem::take(words));
            }
        }
        while let Some(c) = self.peek(0) {
            self.at += 1;
            match c {
                '\n' | ';' | '|' | '(' | ')' => end_command(out, &mut words, &mut word),
                '&' => {
                    let in_redirection = word.as_deref().is_some_and(|w| w.ends_with(['>', '<']));
                    if in_redirection || self.peek(0) == Some('>') {
                        word.get_or_insert_default().push('&');
                    } else {
                        end_command(out, &mut words, &mut word);
                    }
                }
                c if c.is_whitespace() => end_word(&mut words, &mut word),
                '#' if word.is_none() => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.at += 1;
                    }
                }
                '[' if word.is_none()
                    && words.iter().all(|w| RESERVED.contains(&w.as_str()))
                    && self.peek(0) == Some('[')
                    && self.peek(1).is_none_or(char::is_whitespace) =>
                {
                    self.at -= 1;
                    self.conditional();
                    end_command(out, &mut words, &mut word);
                    out.push(vec!["[[".to_owned()]);
                }
                '\\' => match self.peek(0) {
                    Some('\n') => self.at += 1,
                    Some(next) => {
                        self.at += 1;
                        word.get_or_insert_default().push(next);
                    }
                    None => {}
                },
                '\'' => {
                    let w = word.get_or_insert_default();
                    while let Some(q) = self.peek(0) {
                        self.at += 1;
                        if q == '\'' {
                            break;
                        }
                        w.push(q);
                    }
                }
                '"' => {
                    let mut w = word.take().unwrap_or_default();
                    while let Some(q) = self.peek(0) {
                        self.at += 1;
                        match q {
                            '"' => break,
                            '\\' if self.peek(0).is_some_and(|n| matches!(n, '$' | '`' | '"' | '\\' | '\n')) => {
                                let next = self.peek(0).expect("checked");
                                self.at += 1;
                                if next != '\n' {
                                    w.push(next);
                                }
                            }
                            '$' => self.dollar(&mut w, out),
                            '`' => {
                                let text = self.enclosed('`', '`');
                                Reader { chars: text.chars().collect(), at: 0 }.read(out);
                                w.push_str(&format!("`{text}`"));
                            }
                            q => w.push(q),
                        }
                    }
                    word = Some(w);
                }
                '$' => {
                    let mut w = word.take().unwrap_or_default();
                    self.dollar(&mut w, out);
                    word = Some(w);
                }
                '`' => {
                    let text = self.enclosed('`', '`');
                    Reader { chars: text.chars().collect(), at: 0 }.read(out);
                    word.get_or_insert_default().push_str(&format!("`{text}`"));
                }
                c => word.get_or_insert_default().push(c),
            }
        }
        end_command(out, &mut words, &mut word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programs(line: &str) -> Vec<String> {
        commands_of(line).into_iter().map(|words| words[0].clone()).collect()
    }

    #[test]
    fn the_tables_are_sorted_unique_and_name_actions() {
        let keys: Vec<&str> = AWS_CLI_ACTIONS.iter().map(|(k, _)| *k).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        let tools: Vec<&str> = TOOL_ACTIONS.iter().map(|(k, ..)| *k).collect();
        assert!(tools.windows(2).all(|w| w[0] < w[1]), "{tools:?}");
        let quiet: Vec<&str> = NO_AWS_PROGRAMS.iter().map(|(k, _)| *k).collect();
        assert!(quiet.windows(2).all(|w| w[0] < w[1]), "{quiet:?}");
        assert!(!tools.iter().any(|t| quiet.contains(t)));
        let actions = AWS_CLI_ACTIONS.iter().flat_map(|(_, a)| a.iter()).chain(TOOL_ACTIONS.iter().flat_map(|t| t.1));
        for action in actions {
            let (service, name) = action.split_once(':').expect("service:Action");
            assert!(
                !service.is_empty()
                    && service.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{action}"
            );
            assert!(name == "*" || name.starts_with(|c: char| c.is_ascii_uppercase()), "{action}");
        }
        for (tool, actions, source) in TOOL_ACTIONS {
            assert!(actions.windows(2).all(|w| w[0] < w[1]), "{tool}: {actions:?}");
            assert!(!source.is_empty(), "{tool}");
        }
    }

    #[test]
    fn update_kubeconfig_needs_describe_cluster() {
        let line = r#"aws eks update-kubeconfig --name "$CLUSTER" --region "$AWS_REGION" || echo "no kubeconfig""#;
        assert_eq!(actions_of(line).unwrap(), ["eks:DescribeCluster"]);
    }

    #[test]
    fn a_login_piped_into_docker_is_one_aws_call_and_one_tool() {
        let line = r#"aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$REGISTRY""#;
        assert_eq!(actions_of(line).unwrap(), ["ecr:GetAuthorizationToken"]);
        assert_eq!(tools_of(line).unwrap(), ["docker login"]);
    }

    #[test]
    fn calls_in_command_substitutions_and_conditions_are_found() {
        let line = "if digest=$(aws ecr describe-images --repository-name 'saas/product' --image-ids imageTag=\"$SOURCE_TAG\" --query 'imageDetails[0].imageDigest' --output text 2>/dev/null); then\n  echo \"$(aws --region eu-west-1 ecr wait image-scan-complete --repository-name x)\"\nfi";
        let calls = cli_calls_of(line).unwrap();
        let commands: Vec<&str> = calls.iter().map(|c| c.command).collect();
        assert_eq!(commands, ["ecr describe-images", "ecr wait image-scan-complete"]);
        assert_eq!(actions_of(line).unwrap(), ["ecr:DescribeImageScanFindings", "ecr:DescribeImages"]);
    }

    #[test]
    fn s3_cp_needs_the_actions_of_its_direction() {
        let up = r#"PLAN=$(sha256sum generated/plan.json | cut -c1-64) && aws s3 cp target/release/tenancy "s3://"'bucket'"/tools/$PLAN/tenancy""#;
        assert_eq!(actions_of(up).unwrap(), ["s3:PutObject"]);
        let down = r#"if aws s3 cp "s3://bucket/tools/$PLAN/tenancy" /tmp/tenancy --region eu-west-1; then install -m 0755 /tmp/tenancy /usr/local/bin/tenancy; fi"#;
        assert_eq!(actions_of(down).unwrap(), ["s3:GetObject"]);
        assert_eq!(
            actions_of("aws s3 cp --recursive s3://bucket/a/ /tmp/a").unwrap(),
            ["s3:GetObject", "s3:ListBucket"]
        );
        assert!(actions_of("aws s3 cp a b").unwrap_err().contains("neither side"));
    }

    #[test]
    fn a_command_not_in_the_table_is_an_error_naming_it() {
        let err = actions_of("echo start && aws s3api delete-bucket --bucket b").unwrap_err();
        assert!(err.contains("`aws s3api delete-bucket` is not in AWS_CLI_ACTIONS"), "{err}");
        let err = actions_of(r#"aws "$SERVICE" describe-things"#).unwrap_err();
        assert!(err.contains("literal"), "{err}");
    }

    #[test]
    fn aws_that_is_not_a_program_is_not_a_call() {
        assert_eq!(
            actions_of(r#"echo "aws s3 rm s3://b/k" aws s3 rm; printf '%s' 'aws eks delete-cluster'"#).unwrap(),
            Vec::<&str>::new()
        );
        assert_eq!(programs("# aws s3 rm s3://b/k\necho done"), ["echo"]);
    }

    #[test]
    fn the_shell_is_read_as_commands() {
        let line = r#"[[ "$SELECTION" =~ ^(step:[a-z0-9/-]+|shard:[0-9]+/[0-9]+)$ ]] || { echo "no"; exit 1; }"#;
        assert_eq!(programs(line), ["[[", "echo", "exit"]);
        assert_eq!(
            programs(
                "if eksctl get cluster --name x >/dev/null 2>&1; then\n  eksctl upgrade cluster &&\n  eksctl create nodegroup\nelse\n  eksctl create cluster\nfi"
            ),
            ["eksctl", "eksctl", "eksctl", "eksctl"]
        );
        assert_eq!(programs(r#"(cd /tmp && sha256sum --check helm.sha256)"#), ["cd", "sha256sum"]);
        assert_eq!(
            programs(r#"echo "$(cat /tmp/kubectl.sha256)  /tmp/kubectl" | sha256sum --check"#),
            ["cat", "echo", "sha256sum"]
        );
        assert_eq!(
            programs(
                r#"install -m 0755 "${CODEBUILD_SRC_DIR_Tools:?the Tools artifact}/tenancy" /usr/local/bin/tenancy"#
            ),
            ["install"]
        );
        assert_eq!(programs(r#""$HOME/.cargo/bin/cargo" build --locked"#), ["$HOME/.cargo/bin/cargo"]);
        assert_eq!(commands_of(r#"echo 'a b'"c d"\ e"#), [vec!["echo".to_owned(), "a bc d e".to_owned()]]);
    }

    #[test]
    fn every_program_is_recorded_or_named() {
        assert_eq!(tools_of("helm upgrade --install x x && kubectl apply -f k.yaml").unwrap(), ["helm", "kubectl"]);
        assert_eq!(tools_of(r#"cd "$CODEBUILD_SRC_DIR" && target/release/tenancy check"#).unwrap(), Vec::<&str>::new());
        assert_eq!(tools_of("tenancy apply --select step:x").unwrap(), ["tenancy apply"]);
        let err = tools_of("terraform apply").unwrap_err();
        assert!(err.contains("`terraform` is in neither"), "{err}");
        assert!(tools_of("$TOOL run").unwrap_err().contains("cannot tell"));
    }
}

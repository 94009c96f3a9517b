//! `newsmirror completions SHELL` and `newsmirror manual`: made from the command line's own
//! grammar, so they never drift from `--help`.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use super::Cli;

pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "newsmirror", &mut out);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The manual page, one page for everything: the top-level synopsis and options, a
/// subsection per command (and per `sources` action), the exit codes as a list.
pub fn manual() -> anyhow::Result<ExitCode> {
    let mut out = Vec::new();
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    out.extend_from_slice(b".SH COMMANDS\n");
    for sub in visible(&cmd) {
        command_section(&mut out, sub)?;
        for action in visible(sub) {
            command_section(&mut out, action)?;
        }
    }
    out.extend_from_slice(
        format!(
            ".SH \"EXIT STATUS\"\n.nf\n{}\n.fi\n.SH FILES\n.TP\n\\fInewsmirror.toml\\fR\nThe config (--config FILE names another).\n.SH \"SEE ALSO\"\n\\fBgit\\fR(1), \\fBsystemd.service\\fR(5)\n",
            super::args::EXIT_CODES.replace('\\', "\\\\")
        )
        .as_bytes(),
    );
    man.render_version_section(&mut out)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn visible(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// One command as a subsection: its synopsis, description and options, their headings as
/// bold paragraphs (a subsection holds no further ones).
fn command_section(out: &mut Vec<u8>, cmd: &clap::Command) -> std::io::Result<()> {
    let name = cmd.get_bin_name().unwrap_or(cmd.get_name()).to_string();
    out.extend_from_slice(format!(".SS \"{name}\"\n").as_bytes());
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    let text = String::from_utf8_lossy(&page);
    for line in text.lines() {
        match line.strip_prefix(".SH ") {
            Some("SYNOPSIS") => {}
            Some("DESCRIPTION") => out.extend_from_slice(b".PP\n"),
            Some(heading) => {
                let heading = heading.trim_matches('"');
                let mut words = heading.chars();
                let nice: String = words
                    .next()
                    .into_iter()
                    .chain(words.flat_map(char::to_lowercase))
                    .collect();
                out.extend_from_slice(format!(".PP\n\\fB{nice}\\fR\n").as_bytes());
            }
            None => {
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
            }
        }
    }
    Ok(())
}

//! Printing results and errors the same way in every command.

use serde::Serialize;

pub fn json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialisable output")
    );
}

/// Print an error (as JSON on stdout when `--json` was asked, so scripts can parse it too).
pub fn error(e: &warren_core::Error, as_json: bool) -> i32 {
    if as_json {
        json(&serde_json::json!({
            "error": {"kind": e.kind(), "message": e.to_string(), "fields": e.fields()}
        }));
    } else {
        eprintln!("error: {e}");
    }
    1
}

pub fn fail(e: &warren_core::Error, as_json: bool) -> ! {
    std::process::exit(error(e, as_json))
}

/// A command line clap refused: help and version print as usual (exit 0); anything else is a
/// usage error, exit status 2, as JSON when `--json` was given.
pub fn usage_error(e: clap::Error, as_json: bool) -> ! {
    use clap::error::ErrorKind;
    let is_info = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if is_info || !as_json {
        e.exit()
    }
    let message = e.render().to_string();
    let first = message
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_string();
    json(&serde_json::json!({
        "error": {"kind": "usage", "message": first, "fields": [], "usage": message.trim_end()}
    }));
    std::process::exit(2)
}

/// A password for one run: `--password-stdin` wins over `WARREN_PASSWORD`; never stored.
pub fn password_for_run(
    from_stdin: bool,
) -> Result<Option<secrecy::SecretString>, warren_core::Error> {
    if from_stdin {
        return read_stdin_password().map(Some);
    }
    Ok(std::env::var("WARREN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .map(secrecy::SecretString::from))
}

pub fn read_stdin_password() -> Result<secrecy::SecretString, warren_core::Error> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| warren_core::Error::FileRead {
            path: "standard input".into(),
            reason: e.to_string(),
        })?;
    let trimmed = line.trim_end_matches(['\n', '\r']).to_string();
    if trimmed.is_empty() {
        return Err(warren_core::Error::Invalid(vec![warren_core::FieldError {
            field: "password".into(),
            message: "--password-stdin read an empty password; pipe it in, e.g. `secret-tool lookup … | warren …`".into(),
        }]));
    }
    Ok(secrecy::SecretString::from(trimmed))
}

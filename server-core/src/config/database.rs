//! `--database URL`: which database the server keeps its data in ([`Database`]), parsed so
//! that a password in the URL never reaches a log line, an error message or `--help`.

use std::fmt;
use std::path::PathBuf;

/// Where the server's data lives.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file (the default: `confab.db` in the data dir).
    Sqlite(PathBuf),
    /// A PostgreSQL database, as a `postgres://…` URL (which may hold a password: show it
    /// with [`Database::redacted`], never as it is).
    Postgres(String),
}

/// Why a `--database` value cannot be used; the message never contains a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidDatabase(pub String);

impl fmt::Display for InvalidDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidDatabase {}

impl Database {
    /// Parses `sqlite://PATH` (`sqlite:///abs/path.db`, or `sqlite://relative.db`) or
    /// `postgres://…` / `postgresql://…` (any URL libpq accepts, e.g. a Unix socket with
    /// `?host=/run/postgresql`).
    ///
    /// # Errors
    /// Any other scheme, an empty SQLite path or SQLite options, or a PostgreSQL URL that is
    /// not a URL; the message shows the value with its password hidden.
    pub fn parse(url: &str) -> Result<Database, InvalidDatabase> {
        let url = url.trim();
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(InvalidDatabase(
                    "`sqlite://` needs a file path, e.g. sqlite:///srv/confab/confab.db".into(),
                ));
            }
            if path.contains('?') {
                return Err(InvalidDatabase(format!(
                    "`{}`: SQLite URLs take a path only, no `?options`",
                    redact(url)
                )));
            }
            return Ok(Database::Sqlite(PathBuf::from(path)));
        }
        let scheme = url.split_once("://").map(|(scheme, _)| scheme);
        match scheme {
            Some("postgres" | "postgresql") => match url::Url::parse(url) {
                Ok(_) => Ok(Database::Postgres(url.to_owned())),
                // url's messages name the fault, never the input.
                Err(e) => Err(InvalidDatabase(format!(
                    "`{}` is not a valid PostgreSQL URL: {e}",
                    redact(url)
                ))),
            },
            _ => Err(InvalidDatabase(format!(
                "`{}` is not a database URL Confab can use: give sqlite://PATH or \
                 postgres://USER:PASSWORD@HOST/DATABASE",
                redact(url)
            ))),
        }
    }

    /// The database as it may be shown: a PostgreSQL URL's password replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            Database::Sqlite(path) => format!("sqlite://{}", path.display()),
            Database::Postgres(url) => redact(url),
        }
    }
}

/// Debug output goes to logs (`Config` derives Debug): never with the password.
impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Database::Postgres(_) => f.debug_tuple("Postgres").field(&self.redacted()).finish(),
        }
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// `url` with any password hidden: the one after `user:` and a `password=` option. Text that
/// does not parse as a URL keeps only its scheme, since where its password is cannot be told.
pub fn redact(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://…"),
            None if url.contains(['@', ':', '=']) => "…".to_owned(),
            None => url.to_owned(),
        };
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let hides_password = parsed
        .query_pairs()
        .any(|(key, _)| key.eq_ignore_ascii_case("password"));
    if hides_password {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if key.eq_ignore_ascii_case("password") {
                    "***".to_owned()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// Clap's parser for `--database`: clap's own error would quote the value, password and all.
#[derive(Clone, Copy, Debug)]
pub(super) struct DatabaseParser;

impl clap::builder::TypedValueParser for DatabaseParser {
    type Value = Database;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Database, clap::Error> {
        let invalid = |message: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid --database (CONFAB_DATABASE_URL): {message}\n"),
            )
            .with_cmd(cmd)
        };
        let value = value
            .to_str()
            .ok_or_else(|| invalid("the URL is not UTF-8".to_owned()))?;
        Database::parse(value).map_err(|e| invalid(e.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_a_file() {
        assert_eq!(
            Database::parse("sqlite:///srv/confab/confab.db"),
            Ok(Database::Sqlite("/srv/confab/confab.db".into()))
        );
        assert_eq!(
            Database::parse("sqlite://office.db"),
            Ok(Database::Sqlite("office.db".into()))
        );
        assert!(Database::parse("sqlite://").is_err());
        assert!(Database::parse("sqlite://x.db?mode=ro").is_err());
    }

    #[test]
    fn postgres_urls_are_kept_whole() {
        for url in [
            "postgres://confab:secret@db.internal:5432/confab",
            "postgresql://confab@db/confab?sslmode=require",
            "postgres://postgres@localhost/confab?host=/run/postgresql",
        ] {
            assert_eq!(Database::parse(url), Ok(Database::Postgres(url.to_owned())));
        }
    }

    #[test]
    fn other_schemes_are_refused_without_their_password() {
        for url in [
            "mysql://root:hunter2@db/confab",
            "confab.db",
            "postgres//root:hunter2@db/confab",
            "postgres://root:hunter2@db:notaport/confab",
        ] {
            let error = Database::parse(url).unwrap_err().0;
            assert!(!error.contains("hunter2"), "{error}");
            assert!(
                error.contains("sqlite://") || error.contains("PostgreSQL"),
                "{error}"
            );
        }
    }

    #[test]
    fn passwords_are_redacted_wherever_they_are() {
        assert_eq!(
            redact("postgres://confab:s3cret@db:5432/confab"),
            "postgres://confab:***@db:5432/confab"
        );
        assert_eq!(
            redact("postgres://db/confab?user=confab&password=s3cret&sslmode=require"),
            "postgres://db/confab?user=confab&password=***&sslmode=require"
        );
        assert_eq!(redact("postgres://db/confab"), "postgres://db/confab");
        assert_eq!(redact("postgres://u:s3cret@db:x/c"), "postgres://…");
        let database = Database::parse("postgres://confab:s3cret@db/confab").unwrap();
        assert!(!format!("{database:?} {database}").contains("s3cret"));
    }
}

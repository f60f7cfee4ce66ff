//! Environments with their passwords in a real Secret Service (gnome-keyring in a D-Bus session,
//! see scripts/with-keyring). Each test uses a keyring service name of its own.

mod common;

use secrecy::{ExposeSecret, SecretString};
use warren_core::secrets::Keyring;
use warren_core::{Environment, EnvironmentStore, EnvironmentView, Error, Tier};

struct Fixture {
    dir: tempfile::TempDir,
    store: EnvironmentStore,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let keyring = Keyring::with_service(common::unique("warren-test"));
        let store = EnvironmentStore::new(dir.path(), keyring);
        Fixture { dir, store }
    }

    /// Adds `staging(id)` with this password.
    fn create_staging(&self, id: &str, password: &str) -> EnvironmentView {
        let password = SecretString::from(password);
        self.store.create(staging(id), Some(&password)).unwrap()
    }

    /// The password the keyring holds for `id`.
    fn stored_password(&self, id: &str) -> Option<String> {
        let secret = self.store.keyring().get(id).unwrap();
        secret.map(|s| s.expose_secret().to_string())
    }

    fn config_text(&self) -> String {
        std::fs::read_to_string(self.store.config_path()).unwrap_or_default()
    }

    fn all_files_text(&self) -> String {
        let mut out = String::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            out.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default());
        }
        out
    }
}

fn staging(id: &str) -> Environment {
    Environment {
        id: id.into(),
        name: "Staging EU".into(),
        tier: Tier::Staging,
        management_urls: vec![
            "https://rabbit-1.staging:15671".into(),
            "https://rabbit-2.staging:15671".into(),
        ],
        amqp_urls: vec!["amqps://rabbit-1.staging:5671".into()],
        username: "ops".into(),
        ..Environment::local_default()
    }
}

#[test]
fn a_created_environment_keeps_its_password_only_in_the_keyring() {
    let f = Fixture::new();
    let secret = "Unique-Pa55-created-7731";
    let view = f.create_staging("staging", secret);
    assert!(view.has_secret);
    assert_eq!(f.stored_password("staging").as_deref(), Some(secret));
    assert!(f.config_text().contains("rabbit-2.staging"));
    assert!(
        !f.all_files_text().contains(secret),
        "the password reached a file"
    );
    f.store.remove("staging").unwrap();
}

#[test]
fn editing_without_a_password_keeps_the_stored_one_and_a_new_one_replaces_it() {
    let f = Fixture::new();
    f.create_staging("s", "first");
    let mut changed = staging("s");
    changed.read_only = true;
    f.store.update("s", changed, None).unwrap();
    assert_eq!(f.stored_password("s").as_deref(), Some("first"));
    assert!(f.store.get("s").unwrap().read_only);
    f.store
        .update("s", staging("s"), Some(&SecretString::from("second")))
        .unwrap();
    assert_eq!(f.stored_password("s").as_deref(), Some("second"));
    f.store.remove("s").unwrap();
}

#[test]
fn duplicating_copies_settings_and_password_under_the_new_id() {
    let f = Fixture::new();
    f.create_staging("a", "pw-a");
    let copy = f.store.duplicate("a", "b", None).unwrap();
    assert_eq!(copy.environment.name, "Staging EU (copy)");
    assert_eq!(
        copy.environment.management_urls,
        staging("a").management_urls
    );
    assert_eq!(f.stored_password("b").as_deref(), Some("pw-a"));
    f.store.remove("a").unwrap();
    f.store.remove("b").unwrap();
}

#[test]
fn removing_an_environment_removes_its_keyring_entry() {
    let f = Fixture::new();
    f.create_staging("gone", "pw");
    f.store.remove("gone").unwrap();
    assert_eq!(f.stored_password("gone"), None);
    assert!(matches!(
        f.store.get("gone"),
        Err(Error::UnknownEnvironment(_))
    ));
}

#[test]
fn the_first_start_creates_local_with_the_guest_password_in_the_keyring() {
    let f = Fixture::new();
    let first = f.store.ensure_first_start().unwrap();
    assert!(first.created && first.warning.is_none(), "{first:?}");
    let list = f.store.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].environment, Environment::local_default());
    assert!(list[0].has_secret);
    assert_eq!(
        f.store.password("local", None).unwrap().expose_secret(),
        "guest"
    );
    assert!(!f.config_text().to_lowercase().contains("password"));
    // A second start changes nothing.
    assert!(!f.store.ensure_first_start().unwrap().created);
    assert_eq!(
        f.store.last_environment().unwrap().as_deref(),
        Some("local")
    );
    f.store.remove("local").unwrap();
}

#[test]
fn a_duplicate_id_and_invalid_fields_are_refused_with_nothing_stored() {
    let f = Fixture::new();
    f.store.create(staging("x"), None).unwrap();
    assert!(matches!(
        f.store.create(staging("x"), None),
        Err(Error::DuplicateEnvironment(_))
    ));
    let mut bad = staging("y");
    bad.management_urls = vec!["http://:15672".into()];
    let err = f
        .store
        .create(bad, Some(&SecretString::from("pw")))
        .unwrap_err();
    assert_eq!(err.fields()[0].field, "management_urls[0]");
    assert_eq!(
        f.stored_password("y"),
        None,
        "an invalid environment stored a password"
    );
    f.store.remove("x").unwrap();
}

#[test]
fn importing_rabbitmqadmin_conf_moves_passwords_to_the_keyring_and_reports_skips() {
    let f = Fixture::new();
    f.store.ensure_first_start().unwrap();
    let conf = f.dir.path().join("rabbitmqadmin.conf");
    std::fs::write(
        &conf,
        "[local]\nhostname = \"localhost\"\npassword = \"guest\"\n\n[staging]\nhostname = \"rabbit.staging\"\nusername = \"ops\"\npassword = \"imported-Secret-99\"\n\n[odd]\nport = \"x\"\n",
    )
    .unwrap();
    let report = warren_core::rabbitmqadmin_import::apply(&f.store, &conf).unwrap();
    assert_eq!(report.imported.len(), 1, "{report:?}");
    assert_eq!(report.imported[0].id, "staging");
    assert!(report.imported[0].has_secret);
    let reasons: Vec<_> = report
        .skipped
        .iter()
        .map(|s| (s.section.clone(), s.reason.clone()))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|(s, r)| s == "local" && r.contains("already exists")),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|(s, _)| s == "odd"), "{reasons:?}");
    assert_eq!(
        f.stored_password("staging").as_deref(),
        Some("imported-Secret-99")
    );
    assert!(!f.config_text().contains("imported-Secret-99"));
    f.store.remove("staging").unwrap();
    f.store.remove("local").unwrap();
}

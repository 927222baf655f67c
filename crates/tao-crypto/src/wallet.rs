//! bittensor wallet directories: `<wallet_path>/<name>/coldkey` (encrypted),
//! `coldkeypub.txt`, `hotkeys/<hotkey>` and `hotkeys/<hotkey>pub.txt`, all written with mode 0600.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::keyfile::{self, Encryption, KeyfileData};
use crate::{Error, Pair, PublicKey};

/// Default wallet name, as btcli.
pub const DEFAULT_WALLET_NAME: &str = "default";

/// Default hotkey name, as btcli.
pub const DEFAULT_HOTKEY_NAME: &str = "default";

/// The directory layout of one wallet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wallet {
    /// Directory holding all wallets (`~/.bittensor/wallets` by default).
    pub root: PathBuf,
    /// The wallet's name (its directory).
    pub name: String,
    /// The selected hotkey's name.
    pub hotkey: String,
}

/// Which key of a wallet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KeyKind {
    /// The coldkey (owns funds; encrypted).
    Coldkey,
    /// The selected hotkey (operates neurons; usually plaintext).
    Hotkey,
}

/// Whether writing may replace an existing keyfile.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Overwrite {
    /// Fail with [`Error::KeyfileExists`].
    Refuse,
    /// Replace the file.
    Allow,
}

impl Wallet {
    /// A wallet handle; nothing is read or written.
    pub fn new(root: impl Into<PathBuf>, name: &str, hotkey: &str) -> Wallet {
        Wallet {
            root: root.into(),
            name: name.to_string(),
            hotkey: hotkey.to_string(),
        }
    }

    /// `<root>/<name>`.
    pub fn dir(&self) -> PathBuf {
        self.root.join(&self.name)
    }

    /// The encrypted coldkey file.
    pub fn coldkey_path(&self) -> PathBuf {
        self.dir().join("coldkey")
    }

    /// The public coldkey file.
    pub fn coldkeypub_path(&self) -> PathBuf {
        self.dir().join("coldkeypub.txt")
    }

    /// The selected hotkey's keyfile.
    pub fn hotkey_path(&self) -> PathBuf {
        self.dir().join("hotkeys").join(&self.hotkey)
    }

    /// The selected hotkey's public keyfile.
    pub fn hotkeypub_path(&self) -> PathBuf {
        self.dir()
            .join("hotkeys")
            .join(format!("{}pub.txt", self.hotkey))
    }

    /// Fails with [`Error::KeyfileExists`] if writing `kind` would replace a file and
    /// `overwrite` is [`Overwrite::Refuse`]; lets callers check before asking for a password.
    pub fn ensure_writable(&self, kind: KeyKind, overwrite: Overwrite) -> Result<(), Error> {
        let paths = match kind {
            KeyKind::Coldkey => [self.coldkey_path(), self.coldkeypub_path()],
            KeyKind::Hotkey => [self.hotkey_path(), self.hotkeypub_path()],
        };
        refuse_existing(&paths, overwrite)
    }

    /// Writes the coldkey (encrypted with `password` when given) and `coldkeypub.txt`.
    pub fn write_coldkey(
        &self,
        data: &KeyfileData,
        password: Option<&str>,
        overwrite: Overwrite,
    ) -> Result<(), Error> {
        self.ensure_writable(KeyKind::Coldkey, overwrite)?;
        write_keyfile(&self.coldkey_path(), data, password)?;
        write_keyfile(
            &self.coldkeypub_path(),
            &KeyfileData::public_only(data.public),
            None,
        )
    }

    /// Writes the hotkey (plaintext unless `password` is given) and `<hotkey>pub.txt`.
    pub fn write_hotkey(
        &self,
        data: &KeyfileData,
        password: Option<&str>,
        overwrite: Overwrite,
    ) -> Result<(), Error> {
        self.ensure_writable(KeyKind::Hotkey, overwrite)?;
        write_keyfile(&self.hotkey_path(), data, password)?;
        write_keyfile(
            &self.hotkeypub_path(),
            &KeyfileData::public_only(data.public),
            None,
        )
    }

    /// The coldkey's public key from `coldkeypub.txt` (no password needed).
    pub fn coldkey_public(&self) -> Result<PublicKey, Error> {
        read_keyfile(&self.coldkeypub_path(), None).map(|data| data.public)
    }

    /// The hotkey's public key: `<hotkey>pub.txt` if present, else the hotkey file itself
    /// (older wallets lack the pub file).
    pub fn hotkey_public(&self, password: Option<&str>) -> Result<PublicKey, Error> {
        let pub_path = self.hotkeypub_path();
        if pub_path.exists() {
            return read_keyfile(&pub_path, None).map(|data| data.public);
        }
        read_keyfile(&self.hotkey_path(), password).map(|data| data.public)
    }

    /// The full coldkey content; decrypts with `password`.
    pub fn coldkey(&self, password: Option<&str>) -> Result<KeyfileData, Error> {
        read_keyfile(&self.coldkey_path(), password)
    }

    /// The full hotkey content; `password` is used only if the hotkey is encrypted.
    pub fn hotkey_data(&self, password: Option<&str>) -> Result<KeyfileData, Error> {
        read_keyfile(&self.hotkey_path(), password)
    }

    /// The hotkey's keypair.
    pub fn hotkey_pair(&self, password: Option<&str>) -> Result<Pair, Error> {
        let path = self.hotkey_path();
        secret_pair(&read_keyfile(&path, password)?, &path)
    }

    /// The coldkey's keypair; decrypts with `password`.
    pub fn coldkey_pair(&self, password: Option<&str>) -> Result<Pair, Error> {
        let path = self.coldkey_path();
        secret_pair(&read_keyfile(&path, password)?, &path)
    }

    /// Names of the hotkeys in this wallet (files in `hotkeys/` without the `pub.txt` ones),
    /// sorted.
    pub fn hotkey_names(&self) -> Result<Vec<String>, Error> {
        let dir = self.dir().join("hotkeys");
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let files: Vec<String> = list_dir(&dir)?
            .into_iter()
            .filter(|(_, is_file)| *is_file)
            .map(|(name, _)| name)
            .collect();
        // `<x>pub.txt` is the public file of hotkey `<x>`, not a hotkey of its own.
        let mut names: Vec<String> = files
            .iter()
            .filter(|name| {
                name.strip_suffix("pub.txt")
                    .is_none_or(|stem| !files.iter().any(|other| other == stem))
            })
            .cloned()
            .collect();
        names.sort();
        Ok(names)
    }
}

/// Names of the wallets under `root` (directories), sorted; empty if `root` does not exist.
pub fn list_wallets(root: &Path) -> Result<Vec<String>, Error> {
    if !root.exists() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = list_dir(root)?
        .into_iter()
        .filter(|(_, is_file)| !*is_file)
        .map(|(name, _)| name)
        .collect();
    names.sort();
    Ok(names)
}

fn list_dir(dir: &Path) -> Result<Vec<(String, bool)>, Error> {
    let io = |source| Error::Io {
        action: "list",
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let is_file = entry.file_type().map_err(io)?.is_file();
        if let Some(name) = entry.file_name().to_str() {
            out.push((name.to_string(), is_file));
        }
    }
    Ok(out)
}

fn secret_pair(data: &KeyfileData, path: &Path) -> Result<Pair, Error> {
    data.pair()?.ok_or_else(|| Error::BadKeyfile {
        path: path.to_path_buf(),
        reason: "holds only a public key".to_string(),
    })
}

fn refuse_existing(paths: &[PathBuf], overwrite: Overwrite) -> Result<(), Error> {
    if overwrite == Overwrite::Refuse
        && let Some(existing) = paths.iter().find(|p| p.exists())
    {
        return Err(Error::KeyfileExists {
            path: existing.clone(),
        });
    }
    Ok(())
}

/// Whether the file at `path` is encrypted (without decrypting it).
pub fn is_encrypted(path: &Path) -> Result<bool, Error> {
    Ok(keyfile::detect(&read_bytes(path)?) != Encryption::None)
}

fn read_bytes(path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    fs::read(path)
        .map(Zeroizing::new)
        .map_err(|source| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })
}

/// Reads a keyfile, decrypting it with `password` if it is encrypted. An encrypted file
/// without a password is an error that says a password is needed.
pub fn read_keyfile(path: &Path, password: Option<&str>) -> Result<KeyfileData, Error> {
    let bytes = read_bytes(path)?;
    if keyfile::detect(&bytes) == Encryption::None {
        return KeyfileData::from_json(&bytes, path);
    }
    let Some(password) = password else {
        return Err(Error::BadKeyfile {
            path: path.to_path_buf(),
            reason: "it is encrypted and no password was given".to_string(),
        });
    };
    let plaintext = keyfile::decrypt(&bytes, password, path)?;
    KeyfileData::from_json(&plaintext, path)
}

/// Writes a keyfile with mode 0600 (encrypted when `password` is given), creating parent
/// directories. Writes a temporary file first and renames it, so a crash never leaves a
/// half-written key.
pub fn write_keyfile(path: &Path, data: &KeyfileData, password: Option<&str>) -> Result<(), Error> {
    let json = data.to_json();
    let bytes = match password {
        Some(password) => Zeroizing::new(keyfile::encrypt(json.as_bytes(), password)?),
        None => Zeroizing::new(json.as_bytes().to_vec()),
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|source| Error::Io {
            action: "create directory",
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let io = |action, source| Error::Io {
        action,
        path: tmp.clone(),
        source,
    };
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| io("create", e))?;
    // `mode` applies only when the file is created; force it for a leftover temp file too.
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(|e| io("set permissions of", e))?;
    file.write_all(&bytes).map_err(|e| io("write", e))?;
    file.sync_all().map_err(|e| io("sync", e))?;
    fs::rename(&tmp, path).map_err(|source| Error::Io {
        action: "rename into place",
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> KeyfileData {
        KeyfileData::from_pair(&Pair::from_uri("//Alice").unwrap(), None, None)
    }

    #[test]
    fn plaintext_hotkey_roundtrip_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let wallet = Wallet::new(dir.path(), "w", "h");
        wallet
            .write_hotkey(&alice(), None, Overwrite::Refuse)
            .unwrap();
        let other = Wallet::new(dir.path(), "w", "hpub.txt2");
        other
            .write_hotkey(&alice(), None, Overwrite::Refuse)
            .unwrap();
        for path in [wallet.hotkey_path(), wallet.hotkeypub_path()] {
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
        let pair = wallet.hotkey_pair(None).unwrap();
        assert_eq!(pair.public(), alice().public);
        assert_eq!(wallet.hotkey_public(None).unwrap(), alice().public);
        assert_eq!(wallet.hotkey_names().unwrap(), vec!["h", "hpub.txt2"]);
        assert!(!is_encrypted(&wallet.hotkey_path()).unwrap());
        assert_eq!(list_wallets(dir.path()).unwrap(), vec!["w".to_string()]);
    }

    #[test]
    fn existing_keys_are_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let wallet = Wallet::new(dir.path(), "w", "h");
        wallet
            .write_hotkey(&alice(), None, Overwrite::Refuse)
            .unwrap();
        let bob = KeyfileData::from_pair(&Pair::from_uri("//Bob").unwrap(), None, None);
        assert!(matches!(
            wallet.write_hotkey(&bob, None, Overwrite::Refuse),
            Err(Error::KeyfileExists { .. })
        ));
        assert_eq!(wallet.hotkey_public(None).unwrap(), alice().public);
        wallet.write_hotkey(&bob, None, Overwrite::Allow).unwrap();
        assert_eq!(wallet.hotkey_public(None).unwrap(), bob.public);
    }

    #[test]
    fn public_file_is_not_a_private_key() {
        let dir = tempfile::tempdir().unwrap();
        let wallet = Wallet::new(dir.path(), "w", "h");
        let path = wallet.hotkey_path();
        write_keyfile(&path, &KeyfileData::public_only(alice().public), None).unwrap();
        assert!(matches!(
            wallet.hotkey_pair(None),
            Err(Error::BadKeyfile { .. })
        ));
        assert!(matches!(
            wallet.coldkey_public(),
            Err(Error::Io { action: "read", .. })
        ));
    }
}

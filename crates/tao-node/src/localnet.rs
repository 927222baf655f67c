//! The localnet chain: `n` validators and `m` followers on 127.0.0.1. Validator `i` has the
//! public test key of seed `i` and listens for p2p on `p2p_port + i`; follower `j` has the key
//! of seed `FOLLOWER_SEED + j` and listens on `p2p_port + n + j`. Every process of a localnet
//! derives the same sets from `(n, m, p2p_port)`, so no key or address files are exchanged.

use std::{
    net::{Ipv4Addr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use commonware_cryptography::{Signer as _, ed25519};

use crate::{Error, application::FinalizedHook, network::NodeConfig};

/// Namespace of localnet consensus signatures and p2p handshakes.
pub const LOCALNET_NAMESPACE: &[u8] = b"tao-localnet";

/// Default p2p port of validator 0 (validator `i` uses this plus `i`).
pub const DEFAULT_P2P_PORT: u16 = 30_333;

/// Largest localnet (consensus messages grow with the set; 2 cores run far fewer).
pub const MAX_VALIDATORS: u64 = 64;

/// Most followers a localnet has.
pub const MAX_FOLLOWERS: u64 = 64;

/// Key seed of follower 0 (follower `j` uses this plus `j`), clear of the validators' seeds.
pub const FOLLOWER_SEED: u64 = 1_000;

/// Shape of a localnet.
#[derive(Clone, Copy, Debug)]
pub struct Localnet {
    /// Number of validators.
    pub validators: u64,
    /// Number of followers (non-voting nodes).
    pub followers: u64,
    /// p2p port of validator 0.
    pub p2p_port: u16,
}

impl Localnet {
    /// Consensus key of validator `index` (public test keys: local networks only).
    pub fn validator_key(index: u64) -> ed25519::PrivateKey {
        ed25519::PrivateKey::from_seed(index)
    }

    /// Every validator's key and p2p address.
    pub fn validator_set(&self) -> Result<Vec<(ed25519::PublicKey, SocketAddr)>, Error> {
        if self.validators == 0 || self.validators > MAX_VALIDATORS {
            return Err(Error::LocalnetSize(self.validators));
        }
        (0..self.validators)
            .map(|index| {
                Ok((
                    Self::validator_key(index).public_key(),
                    self.p2p_addr(index)?,
                ))
            })
            .collect()
    }

    /// p2p identity key of follower `index` (public test keys: local networks only).
    pub fn follower_key(index: u64) -> ed25519::PrivateKey {
        ed25519::PrivateKey::from_seed(FOLLOWER_SEED.saturating_add(index))
    }

    /// Every follower's key and p2p address.
    pub fn follower_set(&self) -> Result<Vec<(ed25519::PublicKey, SocketAddr)>, Error> {
        if self.followers > MAX_FOLLOWERS {
            return Err(Error::LocalnetFollowers(self.followers));
        }
        (0..self.followers)
            .map(|index| {
                Ok((
                    Self::follower_key(index).public_key(),
                    self.follower_addr(index)?,
                ))
            })
            .collect()
    }

    /// Where follower `index` listens for p2p connections.
    pub fn follower_addr(&self, index: u64) -> Result<SocketAddr, Error> {
        self.p2p_addr(self.validators.saturating_add(index))
    }

    /// Where the node in `slot` listens for p2p connections: validators take slots `0..n`,
    /// followers the slots after them.
    pub fn p2p_addr(&self, slot: u64) -> Result<SocketAddr, Error> {
        let port = u16::try_from(slot)
            .ok()
            .and_then(|i| self.p2p_port.checked_add(i))
            .ok_or(Error::LocalnetPort {
                base: self.p2p_port,
                index: slot,
            })?;
        Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
    }

    /// The configuration of validator `index`.
    pub fn validator(
        &self,
        index: u64,
        data_dir: PathBuf,
        block_time: Duration,
        rpc_addr: Option<SocketAddr>,
        on_finalized: FinalizedHook,
    ) -> Result<NodeConfig, Error> {
        if index >= self.validators {
            return Err(Error::LocalnetIndex {
                index,
                validators: self.validators,
            });
        }
        let node = (Self::validator_key(index), true, self.p2p_addr(index)?);
        self.node(node, data_dir, block_time, rpc_addr, on_finalized)
    }

    /// The configuration of follower `index`.
    pub fn follower(
        &self,
        index: u64,
        data_dir: PathBuf,
        block_time: Duration,
        rpc_addr: Option<SocketAddr>,
        on_finalized: FinalizedHook,
    ) -> Result<NodeConfig, Error> {
        if index >= self.followers {
            return Err(Error::LocalnetFollower {
                index,
                followers: self.followers,
            });
        }
        let node = (Self::follower_key(index), false, self.follower_addr(index)?);
        self.node(node, data_dir, block_time, rpc_addr, on_finalized)
    }

    /// A node of this localnet with (key, voting, p2p address).
    fn node(
        &self,
        (signer, voting, listen): (ed25519::PrivateKey, bool, SocketAddr),
        data_dir: PathBuf,
        block_time: Duration,
        rpc_addr: Option<SocketAddr>,
        on_finalized: FinalizedHook,
    ) -> Result<NodeConfig, Error> {
        Ok(NodeConfig {
            signer,
            voting,
            validators: self.validator_set()?,
            followers: self.follower_set()?,
            listen,
            namespace: LOCALNET_NAMESPACE.to_vec(),
            data_dir,
            block_time,
            rpc_addr,
            on_finalized,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_process_derives_the_same_distinct_validator_set() {
        let net = Localnet {
            validators: 4,
            followers: 2,
            p2p_port: 40_000,
        };
        let set = net.validator_set().unwrap();
        assert_eq!(set, net.validator_set().unwrap());
        let followers = net.follower_set().unwrap();
        let keys: std::collections::BTreeSet<_> = set
            .iter()
            .chain(&followers)
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(keys.len(), 6);
        let ports: std::collections::BTreeSet<_> = set
            .iter()
            .chain(&followers)
            .map(|(_, a)| a.port())
            .collect();
        assert_eq!(ports, (40_000..40_006).collect());
        assert_eq!(set[3].1, "127.0.0.1:40003".parse().unwrap());
        assert_eq!(followers[0].1, "127.0.0.1:40004".parse().unwrap());
    }

    #[test]
    fn bad_shapes_are_errors() {
        let hook: FinalizedHook = std::sync::Arc::new(|_| {});
        let net = Localnet {
            validators: 4,
            followers: 0,
            p2p_port: 30_333,
        };
        let dir = PathBuf::from("x");
        let err = net
            .validator(4, dir.clone(), Duration::from_secs(1), None, hook.clone())
            .err()
            .unwrap();
        assert!(err.to_string().contains("validator 4"), "{err}");
        let err = net
            .follower(0, dir, Duration::from_secs(1), None, hook)
            .err()
            .unwrap();
        assert!(err.to_string().contains("follower 0"), "{err}");
        let empty = Localnet {
            validators: 0,
            followers: 0,
            p2p_port: 30_333,
        };
        assert!(empty.validator_set().is_err());
        let high = Localnet {
            validators: 4,
            followers: 0,
            p2p_port: u16::MAX - 1,
        };
        assert!(high.validator_set().is_err());
    }
}

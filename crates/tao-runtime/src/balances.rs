//! Balances: free TAO per account, transfers and the existential deposit.
//!
//! Rules (pallet_balances): an account holding less than the existential deposit (500 RAO)
//! is reaped and that dust is burned (`DustLost`); `transfer_keep_alive` refuses to take the
//! sender below it (`Expendability`); a transfer may not create an account below it
//! (`ExistentialDeposit`). The nonce survives reaping so old transactions never replay.

use tao_crypto::PublicKey;

use crate::error::DispatchError;
use crate::state::State;
use crate::storage::DResult;
use crate::types::{EXISTENTIAL_DEPOSIT, Event};

/// Counter of all TAO in free balances and subnet pools.
pub const TOTAL_ISSUANCE: &str = "Balances.TotalIssuance";
/// Counter of TAO burned (fees without a block author, dust).
pub const BURNED: &str = "Balances.Burned";
/// Counter of TAO recycled out of issuance (dissolved subnet pools).
pub const RECYCLED: &str = "Subtensor.Recycled";

/// Free balance of `who`.
pub fn free_balance(s: &State<'_>, who: &PublicKey) -> DResult<u64> {
    Ok(s.account(who)?.free)
}

/// Takes `amount` from `who`; a remainder below the existential deposit is burned as dust.
pub fn withdraw(
    s: &mut State<'_>,
    who: &PublicKey,
    amount: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    let mut info = s.account(who)?;
    info.free = info
        .free
        .checked_sub(amount)
        .ok_or(DispatchError::InsufficientBalance {
            free: info.free,
            needed: amount,
        })?;
    if info.free > 0 && info.free < EXISTENTIAL_DEPOSIT {
        let dust = info.free;
        info.free = 0;
        s.sub_counter(TOTAL_ISSUANCE, dust)?;
        s.add_counter(BURNED, dust)?;
        ev.push(Event::DustLost {
            account: *who,
            amount: dust,
        });
    }
    s.set_account(who, info);
    Ok(())
}

/// Adds `amount` to `who`.
pub fn deposit(s: &mut State<'_>, who: &PublicKey, amount: u64) -> DResult<()> {
    let mut info = s.account(who)?;
    info.free = info
        .free
        .checked_add(amount)
        .ok_or(DispatchError::Overflow {
            what: "free balance",
        })?;
    s.set_account(who, info);
    Ok(())
}

/// `transfer_allow_death` (`keep_alive = false`) and `transfer_keep_alive`.
pub fn transfer(
    s: &mut State<'_>,
    from: &PublicKey,
    to: &PublicKey,
    value: u64,
    keep_alive: bool,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    let free = free_balance(s, from)?;
    let left = free
        .checked_sub(value)
        .ok_or(DispatchError::InsufficientBalance {
            free,
            needed: value,
        })?;
    if keep_alive && left < EXISTENTIAL_DEPOSIT {
        return Err(DispatchError::Expendability {
            amount: value,
            left,
            ed: EXISTENTIAL_DEPOSIT,
        });
    }
    if from == to {
        return Ok(());
    }
    let to_free = free_balance(s, to)?;
    if to_free == 0 && value < EXISTENTIAL_DEPOSIT {
        return Err(DispatchError::ExistentialDeposit {
            amount: value,
            ed: EXISTENTIAL_DEPOSIT,
        });
    }
    deposit(s, to, value)?;
    withdraw(s, from, value, ev)?;
    ev.push(Event::Transfer {
        from: *from,
        to: *to,
        amount: value,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use crate::types::AccountInfo;

    fn acc(b: u8) -> PublicKey {
        PublicKey([b; 32])
    }

    fn funded(store: &MemoryStore, who: u8, free: u64) -> State<'_> {
        let mut s = State::new(store);
        s.set_account(&acc(who), AccountInfo { nonce: 0, free });
        s.add_counter(TOTAL_ISSUANCE, free).unwrap_or_default();
        s
    }

    #[test]
    fn transfer_moves_funds_and_emits() {
        let store = MemoryStore::new();
        let mut s = funded(&store, 1, 10_000);
        let mut ev = vec![];
        transfer(&mut s, &acc(1), &acc(2), 1_000, true, &mut ev).unwrap_or_default();
        assert_eq!(free_balance(&s, &acc(1)).ok(), Some(9_000));
        assert_eq!(free_balance(&s, &acc(2)).ok(), Some(1_000));
        assert_eq!(
            ev,
            vec![Event::Transfer {
                from: acc(1),
                to: acc(2),
                amount: 1_000
            }]
        );
    }

    #[test]
    fn insufficient_balance() {
        let store = MemoryStore::new();
        let mut s = funded(&store, 1, 100);
        let e = transfer(&mut s, &acc(1), &acc(2), 1_000, false, &mut vec![]);
        assert_eq!(
            e,
            Err(DispatchError::InsufficientBalance {
                free: 100,
                needed: 1_000
            })
        );
    }

    #[test]
    fn keep_alive_refuses_to_reap() {
        let store = MemoryStore::new();
        let mut s = funded(&store, 1, 10_000);
        let e = transfer(&mut s, &acc(1), &acc(2), 9_700, true, &mut vec![]);
        assert_eq!(
            e,
            Err(DispatchError::Expendability {
                amount: 9_700,
                left: 300,
                ed: 500
            })
        );
    }

    #[test]
    fn allow_death_burns_dust() {
        let store = MemoryStore::new();
        let mut s = funded(&store, 1, 10_000);
        let mut ev = vec![];
        transfer(&mut s, &acc(1), &acc(2), 9_700, false, &mut ev).unwrap_or_default();
        assert_eq!(free_balance(&s, &acc(1)).ok(), Some(0));
        assert_eq!(s.counter(BURNED).ok(), Some(300));
        assert_eq!(s.counter(TOTAL_ISSUANCE).ok(), Some(9_700));
        assert!(ev.contains(&Event::DustLost {
            account: acc(1),
            amount: 300
        }));
    }

    #[test]
    fn new_account_below_existential_deposit() {
        let store = MemoryStore::new();
        let mut s = funded(&store, 1, 10_000);
        let e = transfer(&mut s, &acc(1), &acc(2), 499, true, &mut vec![]);
        assert_eq!(
            e,
            Err(DispatchError::ExistentialDeposit {
                amount: 499,
                ed: 500
            })
        );
    }

    #[test]
    fn overflow_is_an_error() {
        let store = MemoryStore::new();
        let mut s = State::new(&store);
        s.set_account(
            &acc(2),
            AccountInfo {
                nonce: 0,
                free: u64::MAX,
            },
        );
        assert_eq!(
            deposit(&mut s, &acc(2), 1),
            Err(DispatchError::Overflow {
                what: "free balance"
            })
        );
    }
}

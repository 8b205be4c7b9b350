//! The demo partner's memory: browser sessions (the pending login's state and PKCE
//! verifier, then the logged-in user), the orders it created, and the verified
//! notifications, kept idempotently by id and by `trade_no`. Bounded, so a busy
//! or hostile client cannot grow it without end.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use opengate_sdk::{Notification, OrderView, Pkce, RefundNotification};

const MAX_SESSIONS: usize = 10_000;
const SESSION_TTL: Duration = Duration::from_secs(24 * 3600);
const MAX_ORDERS: usize = 1_000;
const MAX_NOTIFICATIONS: usize = 1_000;

/// A login on its way: kept from `/login` until `/callback`.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub state: String,
    pub pkce: Pkce,
}

/// Who logged in, as `user/info` said.
#[derive(Debug, Clone)]
pub struct User {
    pub open_id: String,
    pub union_id: String,
    pub nickname: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Session {
    created: Instant,
    pub csrf: String,
    pub pending: Option<PendingLogin>,
    pub user: Option<User>,
}

/// A verified notification, as stored.
#[derive(Debug, Clone)]
pub struct Stored {
    pub notification: Notification,
    /// Unix seconds when it arrived.
    pub received_at: i64,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, Session>,
    orders: HashMap<String, OrderView>,
    order_list: VecDeque<String>,
    /// By notification id: a retry of one id is stored once.
    notifications: HashMap<String, Stored>,
    notification_list: VecDeque<String>,
    /// trade_no → id of the notification that decides its status.
    by_trade: HashMap<String, String>,
    /// Verified refund notifications by id (bounded with the others), and each
    /// trade_no's in arrival order.
    refunds: HashMap<String, (RefundNotification, i64)>,
    refund_list: VecDeque<String>,
    /// trade_no → refunds the shop asked for (bounded with the orders).
    refunds_asked: HashMap<String, usize>,
}

/// Shared by every request; the lock is never held across an `.await`.
#[derive(Default)]
pub struct Store {
    inner: Mutex<Inner>,
}

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave these maps half-updated in a way that matters here.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The session for `sid`, if it exists and is not too old.
    pub fn session(&self, sid: &str) -> Option<Session> {
        let inner = self.lock();
        inner.sessions.get(sid).filter(|s| s.created.elapsed() < SESSION_TTL).cloned()
    }

    /// A new session (pruning old ones first).
    pub fn new_session(&self, sid: String, csrf: String) -> Session {
        let mut inner = self.lock();
        inner.sessions.retain(|_, s| s.created.elapsed() < SESSION_TTL);
        if inner.sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = inner.sessions.iter().min_by_key(|(_, s)| s.created).map(|(k, _)| k.clone()) {
                inner.sessions.remove(&oldest);
            }
        }
        let s = Session { created: Instant::now(), csrf, pending: None, user: None };
        inner.sessions.insert(sid, s.clone());
        s
    }

    /// Moves a session to a new id with a new CSRF token (done at login, so an id
    /// planted in the browser before the login is worth nothing after it).
    pub fn rotate(&self, old: &str, new_sid: String, new_csrf: String) -> bool {
        let mut inner = self.lock();
        match inner.sessions.remove(old) {
            Some(mut s) => {
                s.csrf = new_csrf;
                inner.sessions.insert(new_sid, s);
                true
            }
            None => false,
        }
    }

    /// Changes a session in place; false when it is gone.
    pub fn update(&self, sid: &str, f: impl FnOnce(&mut Session)) -> bool {
        match self.lock().sessions.get_mut(sid) {
            Some(s) => {
                f(s);
                true
            }
            None => false,
        }
    }

    pub fn add_order(&self, order: OrderView) {
        let mut inner = self.lock();
        let trade_no = order.trade_no.clone();
        if inner.orders.insert(trade_no.clone(), order).is_none() {
            inner.order_list.push_back(trade_no);
        }
        while inner.order_list.len() > MAX_ORDERS {
            if let Some(old) = inner.order_list.pop_front() {
                inner.orders.remove(&old);
                inner.refunds_asked.remove(&old);
            }
        }
    }

    pub fn order(&self, trade_no: &str) -> Option<OrderView> {
        self.lock().orders.get(trade_no).cloned()
    }

    /// The newest orders first.
    pub fn recent_orders(&self, n: usize) -> Vec<OrderView> {
        let inner = self.lock();
        inner.order_list.iter().rev().take(n).filter_map(|t| inner.orders.get(t).cloned()).collect()
    }

    /// Stores a verified notification once per id; returns false for a repeat.
    /// A `paid` notification decides its `trade_no` for good; otherwise the newest wins.
    pub fn record(&self, n: Notification, now: i64) -> bool {
        let mut inner = self.lock();
        if inner.notifications.contains_key(&n.id) {
            return false;
        }
        let id = n.id.clone();
        let trade_no = n.data.trade_no.clone();
        let paid = n.data.status == "paid";
        let current_is_paid = inner
            .by_trade
            .get(&trade_no)
            .and_then(|cur| inner.notifications.get(cur))
            .is_some_and(|s| s.notification.data.status == "paid");
        if paid || !current_is_paid {
            inner.by_trade.insert(trade_no, id.clone());
        }
        inner.notifications.insert(id.clone(), Stored { notification: n, received_at: now });
        inner.notification_list.push_back(id);
        while inner.notification_list.len() > MAX_NOTIFICATIONS {
            if let Some(old) = inner.notification_list.pop_front() {
                inner.notifications.remove(&old);
                inner.by_trade.retain(|_, v| *v != old);
            }
        }
        true
    }

    /// Stores a verified refund notification once per id; false for a repeat.
    pub fn record_refund(&self, n: RefundNotification, now: i64) -> bool {
        let mut inner = self.lock();
        if inner.refunds.contains_key(&n.id) {
            return false;
        }
        inner.refund_list.push_back(n.id.clone());
        inner.refunds.insert(n.id.clone(), (n, now));
        while inner.refund_list.len() > MAX_NOTIFICATIONS {
            if let Some(old) = inner.refund_list.pop_front() {
                inner.refunds.remove(&old);
            }
        }
        true
    }

    /// The shop asked the platform to refund `trade_no` (once per refund number).
    pub fn refund_asked(&self, trade_no: &str) {
        let mut inner = self.lock();
        if inner.orders.contains_key(trade_no) {
            inner.refunds_asked.insert(trade_no.to_owned(), 1);
        }
    }

    /// How many refunds of `trade_no` the shop asked for.
    pub fn refund_requested(&self, trade_no: &str) -> usize {
        self.lock().refunds_asked.get(trade_no).copied().unwrap_or(0)
    }

    /// The refund notifications of `trade_no`, the latest per refund, oldest first.
    pub fn refunds_for(&self, trade_no: &str) -> Vec<(RefundNotification, i64)> {
        let inner = self.lock();
        let mut out: Vec<(RefundNotification, i64)> = Vec::new();
        for id in &inner.refund_list {
            let Some((n, at)) = inner.refunds.get(id) else { continue };
            if n.data.refund.trade_no != trade_no {
                continue;
            }
            match out.iter_mut().find(|(o, _)| o.data.refund.refund_id == n.data.refund.refund_id) {
                Some(slot) => *slot = (n.clone(), *at),
                None => out.push((n.clone(), *at)),
            }
        }
        out
    }

    /// The notification that decides `trade_no`'s status, if one arrived.
    pub fn notification_for(&self, trade_no: &str) -> Option<Stored> {
        let inner = self.lock();
        inner.by_trade.get(trade_no).and_then(|id| inner.notifications.get(id)).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opengate_sdk::NotificationData;

    fn note(id: &str, trade_no: &str, status: &str) -> Notification {
        Notification {
            id: id.into(),
            kind: if status == "paid" { "payment.succeeded" } else { "payment.failed" }.into(),
            created_at: 1,
            data: NotificationData {
                order_id: "ord_1".into(),
                trade_no: trade_no.into(),
                app_id: "demoapp".into(),
                open_id: None,
                amount: "12.50".into(),
                currency: "PTS".into(),
                settle_amount: "1.25".into(),
                settle_currency: "OGC".into(),
                status: status.into(),
                fail_reason: None,
                paid_at: None,
            },
        }
    }

    #[test]
    fn notifications_are_idempotent_by_id_and_paid_wins_per_trade() {
        let s = Store::default();
        assert!(s.record(note("evt_1", "T-1", "paid"), 10));
        assert!(!s.record(note("evt_1", "T-1", "paid"), 11), "a retry of the same id is stored once");
        assert_eq!(s.lock().notifications.len(), 1);
        assert_eq!(s.notification_for("T-1").map(|n| n.received_at), Some(10));
        // A later re-send with a different status does not undo a payment.
        assert!(s.record(note("evt_2", "T-1", "failed"), 12));
        assert_eq!(s.notification_for("T-1").map(|n| n.notification.id), Some("evt_1".into()));
        assert!(s.record(note("evt_3", "T-2", "failed"), 13));
        assert!(s.record(note("evt_4", "T-2", "paid"), 14));
        assert_eq!(s.notification_for("T-2").map(|n| n.notification.id), Some("evt_4".into()));
        assert!(s.notification_for("T-3").is_none());
    }

    #[test]
    fn sessions_live_and_change_in_place() {
        let s = Store::default();
        s.new_session("sid".into(), "csrf".into());
        assert!(s.update("sid", |x| x.pending = Some(PendingLogin { state: "st".into(), pkce: Pkce::new() })));
        assert_eq!(s.session("sid").and_then(|x| x.pending).map(|p| p.state), Some("st".into()));
        assert!(!s.update("other", |_| {}));
        assert!(s.session("other").is_none());
        assert!(s.rotate("sid", "sid2".into(), "csrf2".into()));
        assert!(s.session("sid").is_none(), "the old id is gone");
        let moved = s.session("sid2").expect("moved");
        assert_eq!((moved.csrf.as_str(), moved.pending.map(|p| p.state)), ("csrf2", Some("st".into())));
    }
}

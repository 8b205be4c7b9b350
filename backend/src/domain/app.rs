//! Apps and their permissions (SPEC §3).

use std::fmt;

/// What an app may do. `login` comes with every new app; the others are applied
/// for by the admin and approved or refused by the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    Login,
    Pay,
    UserLookup,
    JointLogin,
}

impl Permission {
    pub const ALL: [Permission; 4] =
        [Permission::Login, Permission::Pay, Permission::UserLookup, Permission::JointLogin];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Login => "login",
            Permission::Pay => "pay",
            Permission::UserLookup => "user_lookup",
            Permission::JointLogin => "joint_login",
        }
    }

    pub fn parse(s: &str) -> Result<Permission, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("permission {s:?} is not one of login, pay, user_lookup, joint_login"))
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionStatus {
    Applied,
    Approved,
    Refused,
}

impl PermissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PermissionStatus::Applied => "applied",
            PermissionStatus::Approved => "approved",
            PermissionStatus::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<PermissionStatus> {
        match s {
            "applied" => Some(PermissionStatus::Applied),
            "approved" => Some(PermissionStatus::Approved),
            "refused" => Some(PermissionStatus::Refused),
            _ => None,
        }
    }
}

/// Stored as BIGINT: 0 active, 1 suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppStatus {
    Active = 0,
    Suspended = 1,
}

impl AppStatus {
    pub fn from_db(v: i64) -> AppStatus {
        if v == 0 {
            AppStatus::Active
        } else {
            AppStatus::Suspended
        }
    }
}

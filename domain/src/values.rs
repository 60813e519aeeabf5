//! Value types of the hotline's vocabulary.
//!
//! Enumerations serialise as their GraphQL names (`RED_RIVER_DELTA`), which is
//! also their wire format inside events: a variant is never renamed.
//! Bounded numbers are parsed once at the edge with `TryFrom`; events keep the
//! plain number so that tightening a bound never makes an old event unreadable.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// Defines a wire enum with its list of variants and its wire names.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire (and GraphQL) name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(DomainError::UnknownCode { kind: stringify!($name), code: s.chars().take(40).collect() }),
                }
            }
        }
    };
}

// After `wire_enum!`, which it uses: a child module sees the macros defined
// before its declaration.
mod agency;
pub use agency::{is_code, Agency, AgencyClass, MAX_CODE};

wire_enum!(
    /// The 8 socio-economic regions of the ministry report, plus OVERSEAS and UNKNOWN.
    Region {
        RedRiverDelta => "RED_RIVER_DELTA",
        Northeast => "NORTHEAST",
        Northwest => "NORTHWEST",
        NorthCentral => "NORTH_CENTRAL",
        SouthCentralCoast => "SOUTH_CENTRAL_COAST",
        CentralHighlands => "CENTRAL_HIGHLANDS",
        Southeast => "SOUTHEAST",
        MekongDelta => "MEKONG_DELTA",
        Overseas => "OVERSEAS",
        Unknown => "UNKNOWN",
    }
);

wire_enum!(
    /// How the contact reached the hotline.
    Channel {
        Voice => "VOICE",
        Zalo => "ZALO",
        App => "APP",
        Web => "WEB",
        SocialMedia => "SOCIAL_MEDIA",
        WalkIn => "WALK_IN",
        OutboundFollowUp => "OUTBOUND_FOLLOW_UP",
        Other => "OTHER",
    }
);

wire_enum!(
    /// Who called.
    CallerType {
        Victim => "VICTIM",
        RelativeOrFriend => "RELATIVE_OR_FRIEND",
        Citizen => "CITIZEN",
        Official => "OFFICIAL",
        Anonymous => "ANONYMOUS",
        Other => "OTHER",
    }
);

wire_enum!(
    /// What the call was for, as the report counts it.
    CallCategory {
        Information => "INFORMATION",
        Counselling => "COUNSELLING",
        ReferralRequest => "REFERRAL_REQUEST",
        ChildProtection => "CHILD_PROTECTION",
        NonData => "NON_DATA",
        Other => "OTHER",
    }
);

wire_enum!(
    /// Subjects of counselling.
    CounsellingTopic {
        Psychological => "PSYCHOLOGICAL",
        Policy => "POLICY",
        Services => "SERVICES",
        VictimSupport => "VICTIM_SUPPORT",
        Legal => "LEGAL",
        MissingPerson => "MISSING_PERSON",
        Shelter => "SHELTER",
        Medical => "MEDICAL",
        MigrationAndWork => "MIGRATION_AND_WORK",
        Other => "OTHER",
    }
);

wire_enum!(
    /// Where a referral stands: SENT → ACKNOWLEDGED → IN_PROGRESS → COMPLETED,
    /// with DECLINED and CANCELLED as exits from any open state.
    ReferralStatus {
        Sent => "SENT",
        Acknowledged => "ACKNOWLEDGED",
        InProgress => "IN_PROGRESS",
        Completed => "COMPLETED",
        Declined => "DECLINED",
        Cancelled => "CANCELLED",
    }
);

impl ReferralStatus {
    /// Whether the referral can still move.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Sent | Self::Acknowledged | Self::InProgress)
    }

    /// The referral state machine: one step forward, or an exit while open.
    pub fn can_move_to(self, next: ReferralStatus) -> bool {
        use ReferralStatus::*;
        matches!(
            (self, next),
            (Sent, Acknowledged)
                | (Acknowledged, InProgress)
                | (InProgress, Completed)
                | (Sent | Acknowledged | InProgress, Declined | Cancelled)
        )
    }

    /// Rescues can be recorded on referrals that were not refused or withdrawn.
    pub fn accepts_rescues(self) -> bool {
        !matches!(self, Self::Declined | Self::Cancelled)
    }
}

wire_enum!(
    /// How a completed referral ended.
    ReferralOutcome {
        Rescued => "RESCUED",
        LocatedSafe => "LOCATED_SAFE",
        ReturnedHome => "RETURNED_HOME",
        NotTrafficking => "NOT_TRAFFICKING",
        LostContact => "LOST_CONTACT",
        DeclinedByPerson => "DECLINED_BY_PERSON",
    }
);

wire_enum!(
    /// Whether a case is open.
    CaseStatus {
        Open => "OPEN",
        Closed => "CLOSED",
    }
);

wire_enum!(
    /// A person's part in a case.
    PersonRole {
        Victim => "VICTIM",
        PossibleVictim => "POSSIBLE_VICTIM",
        AccompanyingMinor => "ACCOMPANYING_MINOR",
        Relative => "RELATIVE",
        Reporter => "REPORTER",
    }
);

wire_enum!(
    /// Gender as recorded.
    Gender {
        Female => "FEMALE",
        Male => "MALE",
        Other => "OTHER",
        Unknown => "UNKNOWN",
    }
);

wire_enum!(
    /// Forms of exploitation (Law 53/2024/QH15).
    ExploitationType {
        Sexual => "SEXUAL",
        ForcedLabour => "FORCED_LABOUR",
        ForcedMarriage => "FORCED_MARRIAGE",
        ChildSale => "CHILD_SALE",
        Adoption => "ADOPTION",
        OrganRemoval => "ORGAN_REMOVAL",
        ForcedCriminality => "FORCED_CRIMINALITY",
        Other => "OTHER",
        Unknown => "UNKNOWN",
    }
);

wire_enum!(
    /// Support regimes a victim is entitled to (Law 53/2024/QH15, art. 37).
    SupportService {
        EssentialNeeds => "ESSENTIAL_NEEDS",
        Medical => "MEDICAL",
        Interpretation => "INTERPRETATION",
        LegalInformation => "LEGAL_INFORMATION",
        LegalAid => "LEGAL_AID",
        TravelCosts => "TRAVEL_COSTS",
        Psychological => "PSYCHOLOGICAL",
        GeneralEducation => "GENERAL_EDUCATION",
        VocationalTraining => "VOCATIONAL_TRAINING",
        InitialAllowance => "INITIAL_ALLOWANCE",
    }
);

wire_enum!(
    /// Who is acting, as far as the domain's rules care.
    Role {
        Counsellor => "COUNSELLOR",
        Supervisor => "SUPERVISOR",
        Agency => "AGENCY",
        Auditor => "AUDITOR",
        Analyst => "ANALYST",
        Admin => "ADMIN",
    }
);

/// Defines a bounded integer parsed from the edge's `i32`.
macro_rules! bounded {
    ($(#[$meta:meta])* $name:ident($repr:ty), $field:literal, $min:expr, $max:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub struct $name($repr);

        impl $name {
            pub const MIN: $repr = $min;
            pub const MAX: $repr = $max;
            pub fn get(self) -> $repr {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = DomainError;
            fn try_from(value: i64) -> Result<Self, Self::Error> {
                if value < i64::from($min) || value > i64::from($max) {
                    return Err(DomainError::OutOfRange {
                        field: $field,
                        min: i64::from($min),
                        max: i64::from($max),
                    });
                }
                <$repr>::try_from(value).map($name).map_err(|_| DomainError::OutOfRange {
                    field: $field,
                    min: i64::from($min),
                    max: i64::from($max),
                })
            }
        }

        impl TryFrom<i32> for $name {
            type Error = DomainError;
            fn try_from(value: i32) -> Result<Self, Self::Error> {
                Self::try_from(i64::from(value))
            }
        }
    };
}

bounded!(
    /// Persons at risk in a referral, or rescued in one operation.
    PersonCount(u16), "persons", 1, 1_000
);
bounded!(
    /// Length of a counselling session.
    SessionMinutes(u16), "durationMinutes", 1, 720
);
bounded!(
    /// Length of a call.
    CallSeconds(u32), "durationSeconds", 0, 86_400
);
bounded!(
    /// A person's year of birth.
    BirthYear(u16), "birthYear", 1900, 2100
);

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for CountryCode {
    type Error = DomainError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        let code = value.trim().to_ascii_uppercase();
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(DomainError::InvalidCountry)
        }
    }
}

/// The most topics a call or session can carry; more is a client bug.
pub const MAX_TOPICS: usize = CounsellingTopic::ALL.len();

/// Sorts and de-duplicates a list of codes so that equal inputs give equal events.
pub fn normalised<T: Ord + Copy>(items: &[T]) -> Vec<T> {
    let mut out = items.to_vec();
    out.sort();
    out.dedup();
    out
}

wire_enum!(
    /// Whether a person is a victim of trafficking, as an authority decided
    /// (Law 53/2024/QH15: identification is an authority's decision, not the hotline's).
    VictimStatus {
        Suspected => "SUSPECTED",
        Identified => "IDENTIFIED",
        NotAVictim => "NOT_A_VICTIM",
    }
);

wire_enum!(
    /// What a correction corrects: the fields of a call or a person it names.
    CorrectedField {
        Category => "CATEGORY",
        Topics => "TOPICS",
        Channel => "CHANNEL",
        CallerType => "CALLER_TYPE",
        Location => "LOCATION",
        ReceivedAt => "RECEIVED_AT",
        Role => "ROLE",
        Gender => "GENDER",
        BirthYear => "BIRTH_YEAR",
        FullName => "FULL_NAME",
        Phone => "PHONE",
    }
);

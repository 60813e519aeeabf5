//! The contract's enums, mirrored from the domain's value types.
//!
//! Every wire name is spelled once, in `domain/src/values.rs`. Here an enum
//! lists only the domain's variant identifiers: async-graphql names a value
//! by its identifier in SCREAMING_SNAKE_CASE, the rule the domain's wire
//! names follow, and `every_graphql_name_is_the_domain_wire_name` holds each
//! GraphQL name equal to the domain's wire name (serde) of the same value.
//! `remote` generates the conversions both ways, so a variant missing here
//! fails to compile.

use async_graphql::Enum;

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::Region")]
pub enum Region {
    RedRiverDelta,
    Northeast,
    Northwest,
    NorthCentral,
    SouthCentralCoast,
    CentralHighlands,
    Southeast,
    MekongDelta,
    Overseas,
    Unknown,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::Channel")]
pub enum Channel {
    Voice,
    Zalo,
    App,
    Web,
    SocialMedia,
    WalkIn,
    OutboundFollowUp,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::CallerType")]
pub enum CallerType {
    Victim,
    RelativeOrFriend,
    Citizen,
    Official,
    Anonymous,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::CallCategory")]
pub enum CallCategory {
    Information,
    Counselling,
    ReferralRequest,
    ChildProtection,
    NonData,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::CounsellingTopic")]
pub enum CounsellingTopic {
    Psychological,
    Policy,
    Services,
    VictimSupport,
    Legal,
    MissingPerson,
    Shelter,
    Medical,
    MigrationAndWork,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
// The contract's agencies: the class an agency's code reports as
// (`domain::values::Agency` is the open code).
#[graphql(remote = "domain::values::AgencyClass")]
pub enum Agency {
    DepartmentOfChildren,
    CriminalPolice,
    BorderGuard,
    CoastGuard,
    CommunePeoplesCommittee,
    WomensUnion,
    SocialWorkCentre,
    Ngo,
    Consulate,
    Other,
}

/// A contract value is the agency of that code.
impl From<Agency> for domain::values::Agency {
    fn from(class: Agency) -> Self {
        domain::values::AgencyClass::from(class).into()
    }
}

/// The class of an agency code that is a contract value (statistics keys,
/// authorities). A referral's holder goes through `Referral::class`, which
/// knows the class recorded for an agency ADMIN added.
impl From<domain::values::Agency> for Agency {
    fn from(agency: domain::values::Agency) -> Self {
        agency.class(None).into()
    }
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::ReferralStatus")]
pub enum ReferralStatus {
    Sent,
    Acknowledged,
    InProgress,
    Completed,
    Declined,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::ReferralOutcome")]
pub enum ReferralOutcome {
    Rescued,
    LocatedSafe,
    ReturnedHome,
    NotTrafficking,
    LostContact,
    DeclinedByPerson,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::CaseStatus")]
pub enum CaseStatus {
    Open,
    Closed,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::PersonRole")]
pub enum PersonRole {
    Victim,
    PossibleVictim,
    AccompanyingMinor,
    Relative,
    Reporter,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::Gender")]
pub enum Gender {
    Female,
    Male,
    Other,
    Unknown,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::ExploitationType")]
pub enum ExploitationType {
    Sexual,
    ForcedLabour,
    ForcedMarriage,
    ChildSale,
    Adoption,
    OrganRemoval,
    ForcedCriminality,
    Other,
    Unknown,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::SupportService")]
pub enum SupportService {
    EssentialNeeds,
    Medical,
    Interpretation,
    LegalInformation,
    LegalAid,
    TravelCosts,
    Psychological,
    GeneralEducation,
    VocationalTraining,
    InitialAllowance,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::values::VictimStatus")]
pub enum VictimStatus {
    Suspected,
    Identified,
    NotAVictim,
}

/// Which kind of stream an event belongs to.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum StreamKind {
    Call,
    Case,
    Person,
}

#[cfg(test)]
mod tests {
    use async_graphql::resolver_utils::EnumType;

    /// For each enum: as many GraphQL values as domain values, and each
    /// GraphQL name equal to the domain's `as_str` and serde name of the
    /// value it converts to. Returns how many values were compared.
    macro_rules! compare {
        ($($name:ident $(as $domain:ident)?),+ $(,)?) => {{
            let mut compared = 0;
            $(
                compared += {
                    type Domain = compare!(@domain $name $($domain)?);
                    let items = <super::$name as EnumType>::items();
                    assert_eq!(items.len(), Domain::ALL.len(), stringify!($name));
                    for item in items {
                        let value: Domain = item.value.into();
                        let serde = serde_json::to_value(value).expect("a wire name");
                        assert_eq!(item.name, value.as_str(), stringify!($name));
                        assert_eq!(serde.as_str(), Some(item.name), stringify!($name));
                    }
                    items.len()
                };
            )+
            compared
        }};
        (@domain $name:ident) => { domain::values::$name };
        (@domain $name:ident $domain:ident) => { domain::values::$domain };
    }

    #[test]
    fn every_graphql_name_is_the_domain_wire_name() {
        let compared = compare!(
            Region,
            Channel,
            CallerType,
            CallCategory,
            CounsellingTopic,
            Agency as AgencyClass,
            ReferralStatus,
            ReferralOutcome,
            CaseStatus,
            PersonRole,
            Gender,
            ExploitationType,
            SupportService,
            VictimStatus,
        );
        assert!(compared > 90, "only {compared} values compared");
    }
}

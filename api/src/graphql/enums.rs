//! The contract's enums, mirrored from the domain's value types.
//!
//! async-graphql's `remote` derive generates the conversions both ways, so a
//! variant missing here fails to compile; names are the GraphQL names.

use async_graphql::Enum;
use serde::Serialize;

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::Region")]
pub enum Region {
    #[graphql(name = "RED_RIVER_DELTA")]
    #[serde(rename = "RED_RIVER_DELTA")]
    RedRiverDelta,
    #[graphql(name = "NORTHEAST")]
    #[serde(rename = "NORTHEAST")]
    Northeast,
    #[graphql(name = "NORTHWEST")]
    #[serde(rename = "NORTHWEST")]
    Northwest,
    #[graphql(name = "NORTH_CENTRAL")]
    #[serde(rename = "NORTH_CENTRAL")]
    NorthCentral,
    #[graphql(name = "SOUTH_CENTRAL_COAST")]
    #[serde(rename = "SOUTH_CENTRAL_COAST")]
    SouthCentralCoast,
    #[graphql(name = "CENTRAL_HIGHLANDS")]
    #[serde(rename = "CENTRAL_HIGHLANDS")]
    CentralHighlands,
    #[graphql(name = "SOUTHEAST")]
    #[serde(rename = "SOUTHEAST")]
    Southeast,
    #[graphql(name = "MEKONG_DELTA")]
    #[serde(rename = "MEKONG_DELTA")]
    MekongDelta,
    #[graphql(name = "OVERSEAS")]
    #[serde(rename = "OVERSEAS")]
    Overseas,
    #[graphql(name = "UNKNOWN")]
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::Channel")]
pub enum Channel {
    #[graphql(name = "VOICE")]
    #[serde(rename = "VOICE")]
    Voice,
    #[graphql(name = "ZALO")]
    #[serde(rename = "ZALO")]
    Zalo,
    #[graphql(name = "APP")]
    #[serde(rename = "APP")]
    App,
    #[graphql(name = "WEB")]
    #[serde(rename = "WEB")]
    Web,
    #[graphql(name = "SOCIAL_MEDIA")]
    #[serde(rename = "SOCIAL_MEDIA")]
    SocialMedia,
    #[graphql(name = "WALK_IN")]
    #[serde(rename = "WALK_IN")]
    WalkIn,
    #[graphql(name = "OUTBOUND_FOLLOW_UP")]
    #[serde(rename = "OUTBOUND_FOLLOW_UP")]
    OutboundFollowUp,
    #[graphql(name = "OTHER")]
    #[serde(rename = "OTHER")]
    Other,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::CallerType")]
pub enum CallerType {
    #[graphql(name = "VICTIM")]
    #[serde(rename = "VICTIM")]
    Victim,
    #[graphql(name = "RELATIVE_OR_FRIEND")]
    #[serde(rename = "RELATIVE_OR_FRIEND")]
    RelativeOrFriend,
    #[graphql(name = "CITIZEN")]
    #[serde(rename = "CITIZEN")]
    Citizen,
    #[graphql(name = "OFFICIAL")]
    #[serde(rename = "OFFICIAL")]
    Official,
    #[graphql(name = "ANONYMOUS")]
    #[serde(rename = "ANONYMOUS")]
    Anonymous,
    #[graphql(name = "OTHER")]
    #[serde(rename = "OTHER")]
    Other,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::CallCategory")]
pub enum CallCategory {
    #[graphql(name = "INFORMATION")]
    #[serde(rename = "INFORMATION")]
    Information,
    #[graphql(name = "COUNSELLING")]
    #[serde(rename = "COUNSELLING")]
    Counselling,
    #[graphql(name = "REFERRAL_REQUEST")]
    #[serde(rename = "REFERRAL_REQUEST")]
    ReferralRequest,
    #[graphql(name = "CHILD_PROTECTION")]
    #[serde(rename = "CHILD_PROTECTION")]
    ChildProtection,
    #[graphql(name = "NON_DATA")]
    #[serde(rename = "NON_DATA")]
    NonData,
    #[graphql(name = "OTHER")]
    #[serde(rename = "OTHER")]
    Other,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::CounsellingTopic")]
pub enum CounsellingTopic {
    #[graphql(name = "PSYCHOLOGICAL")]
    #[serde(rename = "PSYCHOLOGICAL")]
    Psychological,
    #[graphql(name = "POLICY")]
    #[serde(rename = "POLICY")]
    Policy,
    #[graphql(name = "SERVICES")]
    #[serde(rename = "SERVICES")]
    Services,
    #[graphql(name = "VICTIM_SUPPORT")]
    #[serde(rename = "VICTIM_SUPPORT")]
    VictimSupport,
    #[graphql(name = "LEGAL")]
    #[serde(rename = "LEGAL")]
    Legal,
    #[graphql(name = "MISSING_PERSON")]
    #[serde(rename = "MISSING_PERSON")]
    MissingPerson,
    #[graphql(name = "SHELTER")]
    #[serde(rename = "SHELTER")]
    Shelter,
    #[graphql(name = "MEDICAL")]
    #[serde(rename = "MEDICAL")]
    Medical,
    #[graphql(name = "MIGRATION_AND_WORK")]
    #[serde(rename = "MIGRATION_AND_WORK")]
    MigrationAndWork,
    #[graphql(name = "OTHER")]
    #[serde(rename = "OTHER")]
    Other,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::Agency")]
pub enum Agency {
    #[graphql(name = "DEPARTMENT_OF_CHILDREN")]
    #[serde(rename = "DEPARTMENT_OF_CHILDREN")]
    DepartmentOfChildren,
    #[graphql(name = "CRIMINAL_POLICE")]
    #[serde(rename = "CRIMINAL_POLICE")]
    CriminalPolice,
    #[graphql(name = "BORDER_GUARD")]
    #[serde(rename = "BORDER_GUARD")]
    BorderGuard,
    #[graphql(name = "COAST_GUARD")]
    #[serde(rename = "COAST_GUARD")]
    CoastGuard,
    #[graphql(name = "COMMUNE_PEOPLES_COMMITTEE")]
    #[serde(rename = "COMMUNE_PEOPLES_COMMITTEE")]
    CommunePeoplesCommittee,
    #[graphql(name = "WOMENS_UNION")]
    #[serde(rename = "WOMENS_UNION")]
    WomensUnion,
    #[graphql(name = "SOCIAL_WORK_CENTRE")]
    #[serde(rename = "SOCIAL_WORK_CENTRE")]
    SocialWorkCentre,
    #[graphql(name = "NGO")]
    #[serde(rename = "NGO")]
    Ngo,
    #[graphql(name = "CONSULATE")]
    #[serde(rename = "CONSULATE")]
    Consulate,
    #[graphql(name = "OTHER")]
    #[serde(rename = "OTHER")]
    Other,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::ReferralStatus")]
pub enum ReferralStatus {
    #[graphql(name = "SENT")]
    #[serde(rename = "SENT")]
    Sent,
    #[graphql(name = "ACKNOWLEDGED")]
    #[serde(rename = "ACKNOWLEDGED")]
    Acknowledged,
    #[graphql(name = "IN_PROGRESS")]
    #[serde(rename = "IN_PROGRESS")]
    InProgress,
    #[graphql(name = "COMPLETED")]
    #[serde(rename = "COMPLETED")]
    Completed,
    #[graphql(name = "DECLINED")]
    #[serde(rename = "DECLINED")]
    Declined,
    #[graphql(name = "CANCELLED")]
    #[serde(rename = "CANCELLED")]
    Cancelled,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::ReferralOutcome")]
pub enum ReferralOutcome {
    #[graphql(name = "RESCUED")]
    #[serde(rename = "RESCUED")]
    Rescued,
    #[graphql(name = "LOCATED_SAFE")]
    #[serde(rename = "LOCATED_SAFE")]
    LocatedSafe,
    #[graphql(name = "RETURNED_HOME")]
    #[serde(rename = "RETURNED_HOME")]
    ReturnedHome,
    #[graphql(name = "NOT_TRAFFICKING")]
    #[serde(rename = "NOT_TRAFFICKING")]
    NotTrafficking,
    #[graphql(name = "LOST_CONTACT")]
    #[serde(rename = "LOST_CONTACT")]
    LostContact,
    #[graphql(name = "DECLINED_BY_PERSON")]
    #[serde(rename = "DECLINED_BY_PERSON")]
    DeclinedByPerson,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::CaseStatus")]
pub enum CaseStatus {
    #[graphql(name = "OPEN")]
    #[serde(rename = "OPEN")]
    Open,
    #[graphql(name = "CLOSED")]
    #[serde(rename = "CLOSED")]
    Closed,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::PersonRole")]
pub enum PersonRole {
    #[graphql(name = "VICTIM")]
    #[serde(rename = "VICTIM")]
    Victim,
    #[graphql(name = "POSSIBLE_VICTIM")]
    #[serde(rename = "POSSIBLE_VICTIM")]
    PossibleVictim,
    #[graphql(name = "ACCOMPANYING_MINOR")]
    #[serde(rename = "ACCOMPANYING_MINOR")]
    AccompanyingMinor,
    #[graphql(name = "RELATIVE")]
    #[serde(rename = "RELATIVE")]
    Relative,
    #[graphql(name = "REPORTER")]
    #[serde(rename = "REPORTER")]
    Reporter,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::Gender")]
pub enum Gender {
    #[graphql(name = "FEMALE")]
    #[serde(rename = "FEMALE")]
    Female,
    #[graphql(name = "MALE")]
    #[serde(rename = "MALE")]
    Male,
    #[graphql(name = "OTHER")]
    #[serde(rename = "OTHER")]
    Other,
    #[graphql(name = "UNKNOWN")]
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::ExploitationType")]
pub enum ExploitationType {
    #[graphql(name = "SEXUAL")]
    #[serde(rename = "SEXUAL")]
    Sexual,
    #[graphql(name = "FORCED_LABOUR")]
    #[serde(rename = "FORCED_LABOUR")]
    ForcedLabour,
    #[graphql(name = "FORCED_MARRIAGE")]
    #[serde(rename = "FORCED_MARRIAGE")]
    ForcedMarriage,
    #[graphql(name = "CHILD_SALE")]
    #[serde(rename = "CHILD_SALE")]
    ChildSale,
    #[graphql(name = "ADOPTION")]
    #[serde(rename = "ADOPTION")]
    Adoption,
    #[graphql(name = "ORGAN_REMOVAL")]
    #[serde(rename = "ORGAN_REMOVAL")]
    OrganRemoval,
    #[graphql(name = "FORCED_CRIMINALITY")]
    #[serde(rename = "FORCED_CRIMINALITY")]
    ForcedCriminality,
    #[graphql(name = "OTHER")]
    #[serde(rename = "OTHER")]
    Other,
    #[graphql(name = "UNKNOWN")]
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(remote = "domain::values::SupportService")]
pub enum SupportService {
    #[graphql(name = "ESSENTIAL_NEEDS")]
    #[serde(rename = "ESSENTIAL_NEEDS")]
    EssentialNeeds,
    #[graphql(name = "MEDICAL")]
    #[serde(rename = "MEDICAL")]
    Medical,
    #[graphql(name = "INTERPRETATION")]
    #[serde(rename = "INTERPRETATION")]
    Interpretation,
    #[graphql(name = "LEGAL_INFORMATION")]
    #[serde(rename = "LEGAL_INFORMATION")]
    LegalInformation,
    #[graphql(name = "LEGAL_AID")]
    #[serde(rename = "LEGAL_AID")]
    LegalAid,
    #[graphql(name = "TRAVEL_COSTS")]
    #[serde(rename = "TRAVEL_COSTS")]
    TravelCosts,
    #[graphql(name = "PSYCHOLOGICAL")]
    #[serde(rename = "PSYCHOLOGICAL")]
    Psychological,
    #[graphql(name = "GENERAL_EDUCATION")]
    #[serde(rename = "GENERAL_EDUCATION")]
    GeneralEducation,
    #[graphql(name = "VOCATIONAL_TRAINING")]
    #[serde(rename = "VOCATIONAL_TRAINING")]
    VocationalTraining,
    #[graphql(name = "INITIAL_ALLOWANCE")]
    #[serde(rename = "INITIAL_ALLOWANCE")]
    InitialAllowance,
}

/// Which kind of stream an event belongs to.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
pub enum StreamKind {
    #[graphql(name = "CALL")]
    Call,
    #[graphql(name = "CASE")]
    Case,
    #[graphql(name = "PERSON")]
    Person,
}

//! The contract's queries answered from projections: lists, statistics,
//! projection status. Lists take ids from a read model (filters, order,
//! cursors) and load each node from its stream, so a node is never staler
//! than its own events and personal data never lives in a read model.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object, Result, SimpleObject};
use domain::call::Call;
use domain::case::Case;
use projections::disclosure::Disclosure;
use projections::queries;
use uuid::Uuid;

use super::context::request;
use super::enums::*;
use super::privacy;
use super::scalars::{check_int, Date};
use super::statistics::{ProjectionStatusNode, StatisticsNode};
use super::types::{CallNode, CaseNode, ReferralNode};
use crate::commands::agency_codes::known_agency;
use crate::error::ApiError;
use crate::policy::{require, Capability};

/// The contract's `totalCount` on every connection.
#[derive(SimpleObject)]
pub struct TotalCount {
    pub total_count: i32,
}

pub(super) type Page<T> = Connection<String, T, TotalCount, EmptyFields>;

/// The smallest minCellSize an ANALYST gets, whatever they ask.
pub const ANALYST_MIN_CELL_SIZE: i32 = 5;

/// The page size of a list when `first` is not given (the cost model uses it too).
pub const DEFAULT_PAGE_SIZE: i32 = 20;
/// The largest page of a list (the contract's `first` of 1..100).
pub const MAX_PAGE_SIZE: i32 = 100;
/// The largest minCellSize accepted: beyond it every cell is suppressed anyway.
pub const MAX_MIN_CELL_SIZE: i32 = 1_000_000;

pub(super) fn first(first: Option<i32>) -> Result<usize> {
    let n = check_int(
        "first",
        first.unwrap_or(DEFAULT_PAGE_SIZE),
        1,
        MAX_PAGE_SIZE,
    )?;
    Ok(usize::try_from(n).unwrap_or(1))
}

pub(super) fn projection_error(e: projections::ProjectionError) -> ApiError {
    match e {
        projections::ProjectionError::BadCursor => {
            ApiError::BadUserInput("after is not a cursor this list gave out".into())
        }
        e @ projections::ProjectionError::PositionNotReached { .. } => {
            ApiError::BadUserInput(e.to_string())
        }
        other => {
            tracing::error!(error.cause = %other, "read model query failed");
            ApiError::Internal
        }
    }
}

pub(super) fn page<T: async_graphql::OutputType>(
    has_next: bool,
    total: i64,
    edges: Vec<(String, T)>,
) -> Page<T> {
    let mut page = Connection::with_additional_fields(
        false,
        has_next,
        TotalCount {
            total_count: i32::try_from(total).unwrap_or(i32::MAX),
        },
    );
    page.edges.extend(
        edges
            .into_iter()
            .map(|(cursor, node)| Edge::new(cursor, node)),
    );
    page
}

/// A list of cases for the caller: each loaded from its stream, its persons'
/// personal data opened as the request selected (and access-logged).
pub(super) async fn case_page(
    ctx: &Context<'_>,
    found: queries::Page<Uuid>,
    field: &str,
) -> Result<Page<CaseNode>> {
    let (app, req) = request(ctx)?;
    // Streams from the standby when the request reads there; the access log
    // of personal data opened is written on the primary.
    let store = app.reading(ctx);
    let page_ahead = ctx.look_ahead();
    let selected = privacy::Selected::in_case(&page_ahead.field("edges").field("node"))
        | privacy::Selected::in_case(&page_ahead.field("nodes"));
    let mut edges = Vec::with_capacity(found.items.len());
    for (cursor, id) in found.items {
        let loaded = store.load::<Case>(id).await.map_err(ApiError::from)?;
        let node = privacy::case_node(
            app.commands.vault(),
            app.commands.store().pool(),
            &loaded.state,
            loaded.version,
            req,
            field,
            selected,
        )
        .await?;
        if let Some(node) = node {
            edges.push((cursor, node));
        }
    }
    Ok(page(found.has_next_page, found.total_count, edges))
}

/// A list of referrals, each loaded from its case's stream.
pub(super) async fn referral_page(
    ctx: &Context<'_>,
    found: queries::Page<(Uuid, Uuid)>,
) -> Result<Page<ReferralNode>> {
    let (app, _) = request(ctx)?;
    let store = app.reading(ctx);
    let mut edges = Vec::with_capacity(found.items.len());
    for (cursor, (case_id, referral_id)) in found.items {
        let loaded = store.load::<Case>(case_id).await.map_err(ApiError::from)?;
        if let Some(r) = loaded.state.referral(referral_id) {
            edges.push((cursor, ReferralNode::new(case_id, r)));
        }
    }
    Ok(page(found.has_next_page, found.total_count, edges))
}

#[derive(async_graphql::InputObject)]
pub struct CallFilter {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub region: Option<Region>,
    pub category: Option<CallCategory>,
    pub channel: Option<Channel>,
}

#[derive(async_graphql::InputObject)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub region: Option<Region>,
    pub opened_from: Option<Date>,
    pub opened_to: Option<Date>,
}

#[derive(async_graphql::InputObject)]
pub struct ReferralFilter {
    /// Referrals held by the agency of this contract value's own code.
    pub agency: Option<Agency>,
    /// Referrals held by the agency of this reference-data code (one ADMIN
    /// added, say); not with `agency`.
    pub agency_code: Option<String>,
    pub status: Option<ReferralStatus>,
    pub case_id: Option<Uuid>,
}

#[derive(Default)]
pub struct ReadModelQuery;

#[Object]
impl ReadModelQuery {
    async fn calls(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<CallFilter>,
    ) -> Result<Page<CallNode>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadCasework)?;
        let n = self::first(first)?;
        let f = filter.map_or_else(queries::CallFilter::default, |f| queries::CallFilter {
            from: f.from.map(|d| d.0),
            to: f.to.map(|d| d.0),
            region: f.region.map(Into::into),
            category: f.category.map(Into::into),
            channel: f.channel.map(Into::into),
        });
        let store = app.reading(ctx);
        let found = queries::calls(store.pool(), &f, n, after.as_deref())
            .await
            .map_err(projection_error)?;
        let mut edges = Vec::with_capacity(found.items.len());
        for (cursor, id) in found.items {
            let loaded = store.load::<Call>(id).await.map_err(ApiError::from)?;
            if let Some(node) = CallNode::from_state(&loaded.state, loaded.version) {
                edges.push((cursor, node));
            }
        }
        Ok(page(found.has_next_page, found.total_count, edges))
    }

    async fn cases(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<CaseFilter>,
    ) -> Result<Page<CaseNode>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadCasework)?;
        let n = self::first(first)?;
        let f = filter.map_or_else(queries::CaseFilter::default, |f| queries::CaseFilter {
            status: f.status.map(Into::into),
            region: f.region.map(Into::into),
            opened_from: f.opened_from.map(|d| d.0),
            opened_to: f.opened_to.map(|d| d.0),
        });
        let found = queries::cases(app.reading(ctx).pool(), &f, n, after.as_deref())
            .await
            .map_err(projection_error)?;
        case_page(ctx, found, "cases").await
    }

    async fn referrals(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ReferralFilter>,
    ) -> Result<Page<ReferralNode>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadReferrals)?;
        let n = self::first(first)?;
        let f = match filter {
            None => queries::ReferralFilter::default(),
            Some(f) => queries::ReferralFilter {
                // An agency ADMIN added is found under the class it reports as.
                reporting_as_agency: match (f.agency, f.agency_code.is_some()) {
                    (Some(class), false) => {
                        let book = app.commands.reference_book().await?;
                        let class = domain::values::Agency::from(class);
                        let codes = book.added_reporting_as(
                            domain::reference::dated::ReferenceKind::Agency,
                            class.as_str(),
                        );
                        codes
                            .iter()
                            .filter_map(|code| known_agency(&book, "agency", code).ok())
                            .collect()
                    }
                    _ => vec![],
                },
                agency: match (f.agency, f.agency_code) {
                    (Some(_), Some(_)) => {
                        return Err(ApiError::BadUserInput(
                            "filter by agency or by agencyCode, not both".into(),
                        )
                        .into())
                    }
                    (_, Some(code)) => {
                        let book = app.commands.reference_book().await?;
                        Some(known_agency(&book, "agencyCode", code.trim())?)
                    }
                    (agency, None) => agency.map(Into::into),
                },
                status: f.status.map(Into::into),
                case_id: f.case_id,
            },
        };
        let pool = app.reading(ctx).pool();
        let found = queries::referrals(pool, &f, n, after.as_deref(), req.principal.agency)
            .await
            .map_err(projection_error)?;
        referral_page(ctx, found).await
    }

    /// from and to are inclusive calendar days in the hotline's time zone.
    /// `asOfPosition`: the figures as of that log position (a published
    /// figure's `asOfPosition`), whatever was recorded since. `map`: province
    /// and region breakdowns restated on the map in force on that day.
    #[allow(clippy::too_many_arguments)]
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        region: Option<Region>,
        min_cell_size: Option<i32>,
        as_of_position: Option<String>,
        map: Option<Date>,
    ) -> Result<StatisticsNode> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadStatistics)?;
        if to.0 < from.0 {
            return Err(ApiError::BadUserInput("to is before from".into()).into());
        }
        if (to.0 - from.0).num_days() > 366 * 20 {
            return Err(ApiError::BadUserInput(
                "a statistics period spans at most 20 years".into(),
            )
            .into());
        }
        let asked = check_int(
            "minCellSize",
            min_cell_size.unwrap_or(1),
            1,
            MAX_MIN_CELL_SIZE,
        )?;
        let as_of_position = as_of_position
            .map(|p| {
                p.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|p| *p >= 0)
                    .ok_or_else(|| {
                        ApiError::BadUserInput(
                        "asOfPosition is a log position: a decimal string of a non-negative integer"
                            .into(),
                    )
                    })
            })
            .transpose()?;
        let disclosure = if req.principal.role == domain::values::Role::Analyst {
            Disclosure::Controlled {
                floor: i64::from(asked.max(ANALYST_MIN_CELL_SIZE)),
            }
        } else {
            Disclosure::Exact {
                min_cell_size: i64::from(asked),
            }
        };
        let ask = queries::Ask {
            from: from.0,
            to: to.0,
            region: region.map(Into::into),
            as_of_position,
            map_on: map.map(|m| m.0),
            disclosure,
        };
        let stats = queries::report(app.reading(ctx).pool(), &ask)
            .await
            .map_err(projection_error)?;
        Ok(stats.into())
    }

    async fn projections(&self, ctx: &Context<'_>) -> Result<Vec<ProjectionStatusNode>> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadProjections)?;
        let status = projections::status(app.commands.store().pool())
            .await
            .map_err(projection_error)?;
        Ok(status.into_iter().map(Into::into).collect())
    }
}

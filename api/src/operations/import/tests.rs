//! The import's reading and checking, without a database: what `--check` does.

use super::cli::ImportCallsArgs;
use super::*;

fn log(text: &str) -> CallLog {
    read_log(
        text.as_bytes().to_vec(),
        chrono_tz::Asia::Ho_Chi_Minh,
        &Default::default(),
    )
    .expect("the file reads")
}

fn rejected_lines(text: &str) -> Vec<usize> {
    log(text).rejected.iter().map(|r| r.line).collect()
}

fn reasons(text: &str) -> Vec<String> {
    log(text).rejected.into_iter().map(|r| r.reason).collect()
}

#[test]
fn the_command_line_takes_a_file_a_check_flag_and_the_servers_settings() {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: ImportCallsArgs,
    }
    let cli = <Cli as clap::Parser>::try_parse_from(["import", "log.csv", "--actor", "lan"]);
    let args = cli.expect("parses").args;
    assert_eq!(
        (args.file, args.actor, args.check),
        (
            std::path::PathBuf::from("log.csv"),
            "lan".to_string(),
            false
        )
    );
    let cli = <Cli as clap::Parser>::try_parse_from(["import", "log.csv", "--check"]);
    assert!(cli.expect("parses").args.check);
    assert!(
        <Cli as clap::Parser>::try_parse_from(["import"]).is_err(),
        "FILE is required"
    );
}

#[test]
fn line_numbers_count_blank_lines_crlf_and_lone_cr() {
    let lf = "received_at,channel,region,caller_type,category\nx,VOICE,OVERSEAS,VICTIM,OTHER\n\n\nx,VOICE\n";
    assert_eq!(rejected_lines(lf), vec![2, 5]);
    assert_eq!(rejected_lines(&lf.replace('\n', "\r\n")), vec![2, 5]);
    assert_eq!(rejected_lines(&lf.replace('\n', "\r")), vec![2, 5]);
}

#[test]
fn semicolon_and_tab_separated_files_read_like_comma_separated_ones() {
    let comma = "received_at,channel,province,caller_type,category,topics\n\
                 2021-03-04 10:15,VOICE,HA_NOI,VICTIM,COUNSELLING,\"POLICY;SERVICES\"\n";
    let semicolon = "\u{feff}received_at;channel;province;caller_type;category;topics\r\n\
                     2021-03-04 10:15;VOICE;HA_NOI;VICTIM;COUNSELLING;\"POLICY;SERVICES\"\r\n";
    let tab = comma.replace(',', "\t");
    let ids = |text: &str| {
        let log = log(text);
        assert!(log.rejected.is_empty(), "{:?}", log.rejected);
        log.planned.iter().map(|p| p.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(semicolon), ids(comma), "the same call, the same id");
    assert_eq!(ids(&tab), ids(comma));
    assert_eq!(log(semicolon).delimiter, ';');
    assert_eq!(log(&tab).delimiter, '\t');
}

#[test]
fn extra_columns_are_ignored_with_a_warning_and_a_likely_meant_column() {
    let text = "received_at,channel,region,caller_type,category,remark,provnce,\n\
                2021-03-04 10:15,VOICE,NORTHEAST,VICTIM,INFORMATION,called back,x,\n";
    let read = log(text);
    assert_eq!((read.recordable(), read.rejected.len()), (1, 0));
    assert_eq!(
        read.ignored_columns,
        vec![
            "'remark'".to_string(),
            "'provnce' (did you mean province?)".to_string(),
            "unnamed column 8".to_string()
        ]
    );
    let report = ImportReport {
        ignored_columns: read.ignored_columns,
        ..ImportReport::default()
    };
    assert!(cli::notes(&report)[0].contains("ignored, not imported: 'remark'"));
}

#[test]
fn header_names_are_forgiven_and_a_missing_column_names_the_unrecognised_ones() {
    let text = "Received At,Channel,REGION,callerType,category\n\
                2021-03-04 10:15,voice,northeast,Victim,information\n";
    assert_eq!(log(text).recordable(), 1);
    let text = "received_at;channel;region;caller;category\n2021-03-04 10:15;VOICE;NORTHEAST;VICTIM;INFORMATION\n";
    let err = read_log(
        text.as_bytes().to_vec(),
        chrono_tz::UTC,
        &Default::default(),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(
        err.contains("missing required column(s) caller_type")
            && err.contains("'caller' (did you mean caller_type?)"),
        "{err}"
    );
}

#[test]
fn provinces_are_read_by_code_or_vietnamese_name_and_a_near_miss_is_suggested() {
    let header = "received_at,channel,province,caller_type,category\n";
    let row =
        |province: &str| format!("{header}2021-03-04 10:15,VOICE,{province},VICTIM,INFORMATION\n");
    let id = |province: &str| {
        let read = log(&row(province));
        assert!(read.rejected.is_empty(), "{province}: {:?}", read.rejected);
        read.planned[0].id
    };
    assert_eq!(id("Hà Nội"), id("HA_NOI"));
    assert_eq!(id("ha noi"), id("ha_noi"));
    assert_eq!(id("HÀ NỘI"), id("HA_NOI"));
    let reason = &reasons(&row("Ha Nol"))[0];
    assert!(
        reason.starts_with("province 'Ha Nol' is neither")
            && reason.contains("did you mean HA_NOI (Hà Nội)?"),
        "{reason}"
    );
    let reason = &reasons(&row("Atlantis"))[0];
    assert!(
        reason.contains("'Atlantis'") && !reason.contains("did you mean"),
        "{reason}"
    );
}

#[test]
fn reasons_use_the_files_column_names_and_quote_the_value() {
    let header =
        "received_at,channel,region,province,country,caller_type,category,duration_seconds\n";
    let text = format!(
        "{header}\
         2099-01-01 10:00,VOICE,NORTHEAST,,,VICTIM,INFORMATION,\n\
         2025-08-01 09:00,VOICE,,Hà Giang,,VICTIM,INFORMATION,\n\
         2021-03-04 10:15,TELEPHONE,NORTHEAST,,,VICTIM,INFORMATION,\n\
         2021-03-04 10:15,VOICE,NORTHEAST,HA_NOI,,VICTIM,INFORMATION,\n\
         2021-03-04 10:15,VOICE,NORTHEAST,,kh,VICTIM,INFORMATION,\n\
         2021-03-04 10:15,VOICE,NORTHEAST,,,VICTIM,INFORMATION,-5\n"
    );
    let reasons = reasons(&text);
    let expected = [
        "received_at '2099-01-01 10:00': received_at is in the future",
        "province 'Hà Giang' (HA_GIANG) was merged into TUYEN_QUANG on 2025-07-01",
        "channel 'TELEPHONE' is not one of VOICE, ZALO",
        "region 'NORTHEAST' does not match province 'HA_NOI', which lies in RED_RIVER_DELTA",
        "country 'kh' is given but the region is not OVERSEAS",
        "duration_seconds '-5': duration_seconds must be between 0 and 86400",
    ];
    assert_eq!(reasons.len(), expected.len(), "{reasons:?}");
    for (reason, expected) in reasons.iter().zip(expected) {
        assert!(reason.starts_with(expected), "{reason}");
        assert!(
            !reason.contains("receivedAt") && !reason.contains("durationSeconds"),
            "{reason}"
        );
    }
}

#[test]
fn identical_rows_without_ids_suggest_an_id_column() {
    let text = "received_at,channel,region,caller_type,category\n\
                2021-03-04 10:15,VOICE,NORTHEAST,VICTIM,INFORMATION\n\
                2021-03-04 10:15,VOICE,NORTHEAST,VICTIM,INFORMATION\n";
    let read = log(text);
    assert_eq!((read.recordable(), read.without_id()), (1, 1));
    let reason = &read.rejected[0].reason;
    assert!(
        reason.starts_with("identical to line 2") && reason.contains("add an id column"),
        "{reason}"
    );
    let report = ImportReport {
        without_id: 1,
        ..ImportReport::default()
    };
    assert!(cli::notes(&report)[0].contains("becomes a second call"));
}

#[test]
fn a_rows_derived_id_is_pinned_whatever_the_spelling() {
    // Pinned: if this changes, every id-less file imported before would be
    // imported again as new calls. Spellings of one call give one id.
    let header = "received_at,channel,province,caller_type,category,topics\n";
    let ids: Vec<Uuid> = [
        "2021-03-04 10:15,VOICE,HA_NOI,VICTIM,COUNSELLING,POLICY;SERVICES",
        "2021-03-04T10:15:00+07:00,voice,Hà Nội,victim,Counselling,\"services, policy\"",
    ]
    .iter()
    .map(|row| log(&format!("{header}{row}\n")).planned[0].id)
    .collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[0].to_string(), "96ebe700-14b5-5818-8d67-65b764d76678");
}

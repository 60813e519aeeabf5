-- wrk script of the performance bench's HTTP figures: openCase (figure 3)
-- or receiveCall (the end-to-end figure, issue 11) mutations, GraphQL over
-- HTTP with a COUNSELLOR token. The server names each new case or call (no
-- client id), so every request starts a fresh stream; regions rotate.
--
-- Arguments (after `--`): token, a time (RFC 3339: openedAt or receivedAt),
-- the mutation ("openCase" or "receiveCall"). The run is bounded by
-- wrk's -d only: wrk measures its duration as the whole -d even when a
-- thread stops early, so stopping after N answers would understate the rate.
-- `done` prints one `casetrail-wrk` line that wrk.rs parses.

local regions = { "RED_RIVER_DELTA", "NORTHEAST", "NORTHWEST", "SOUTHEAST" }
local open_case = "mutation BenchOpenCase($input: OpenCaseInput!) { "
    .. "openCase(input: $input) { id status region version } }"
local receive_call = "mutation BenchReceiveCall($input: ReceiveCallInput!) { "
    .. "receiveCall(input: $input) { id } }"
local threads = {}

-- Per-thread state lives in globals so that `done` can read it (thread:get).
sent, answered, failed, first = 0, 0, 0, ""
local at, mutation

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    at = args[2]
    mutation = args[3] or "openCase"
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Authorization"] = "Bearer " .. args[1]
end

function request()
    sent = sent + 1
    local region = regions[sent % #regions + 1]
    local body
    if mutation == "receiveCall" then
        body = string.format(
            '{"query":"%s","operationName":"BenchReceiveCall","variables":{"input":'
                .. '{"receivedAt":"%s","channel":"VOICE","callerType":"VICTIM",'
                .. '"category":"INFORMATION","region":"%s"}}}',
            receive_call, at, region)
    else
        body = string.format(
            '{"query":"%s","operationName":"BenchOpenCase","variables":{"input":'
                .. '{"openedAt":"%s","region":"%s","exploitationTypes":["FORCED_LABOUR"]}}}',
            open_case, at, region)
    end
    return wrk.format(nil, nil, nil, body)
end

-- An answer counts as failed on any status but 200 or any GraphQL error;
-- the first failure's status and error code (never its message) is kept.
function response(status, headers, body)
    answered = answered + 1
    if status ~= 200 or string.find(body, '"errors"', 1, true) then
        failed = failed + 1
        if first == "" then
            local code = string.match(body, '"code"%s*:%s*"([A-Z_]+)"') or "no code"
            first = "HTTP " .. status .. ", " .. code
        end
    end
end

function done(summary, latency, requests)
    local all_answered, all_failed, first_failure = 0, 0, ""
    for _, thread in ipairs(threads) do
        all_answered = all_answered + thread:get("answered")
        all_failed = all_failed + thread:get("failed")
        if first_failure == "" then
            first_failure = thread:get("first")
        end
    end
    local e = summary.errors
    io.write(string.format(
        "casetrail-wrk answered=%d failed=%d socket_errors=%d duration_us=%d p50_us=%d p99_us=%d first=%s\n",
        all_answered, all_failed, e.connect + e.read + e.write + e.timeout,
        summary.duration, latency:percentile(50), latency:percentile(99), first_failure))
end

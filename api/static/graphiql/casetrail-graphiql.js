// Starts GraphiQL against this server's /graphql. Served as a file, never
// inline, so that the page's Content-Security-Policy can forbid inline script.
//
// Every request needs a bearer token. It is taken from the URL fragment
// (`/#token=...`: browsers never send fragments to the server, so it never
// reaches a log) and then removed from the address bar; otherwise the user
// pastes it in the Headers tab. Headers are not persisted (GraphiQL's
// default), so a token does not outlive the tab in localStorage.
(function () {
  "use strict";
  var token = null;
  var fragment = new URLSearchParams(window.location.hash.slice(1));
  if (fragment.has("token") || fragment.has("query")) {
    token = fragment.get("token");
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  // `/#token=...&query=...` opens with that operation in the editor (a link to a prepared query).
  var shared = fragment.get("query");
  var headers = {
    Authorization: "Bearer " + (token || "<paste a token: casetrail token --sub you --role COUNSELLOR>")
  };
  var defaultQuery = [
    "# casetrail GraphQL explorer (development mode only).",
    "# Every request needs a bearer token: put it in the Headers tab below,",
    "# or open this page as /#token=<token>. The schema is in the Docs panel.",
    "# Live updates: subscription { callReceived { position id channel region } }",
    "",
    "query Recent {",
    "  calls(first: 5) { totalCount nodes { id receivedAt channel region category } }",
    "}",
    ""
  ].join("\n");
  if (shared) {
    defaultQuery = shared;
  }
  // Subscriptions go over a WebSocket to the same /graphql (graphql-transport-ws);
  // GraphiQL sends the Headers tab (the token) as connection_init's payload.
  var subscriptionUrl = (window.location.protocol === "https:" ? "wss://" : "ws://") +
    window.location.host + "/graphql";
  var fetcher = GraphiQL.createFetcher({ url: "/graphql", subscriptionUrl: subscriptionUrl });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      headers: JSON.stringify(headers, null, 2),
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: false
    })
  );
})();

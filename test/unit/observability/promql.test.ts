// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana variables such as ${var} are literal text here
import { describe, expect, test } from "vitest";
import {
  NO_REPORTER_NOTE,
  rewriteExpression,
  rewriteTemplateQuery,
  TCP_NOTE,
} from "../../../src/observability/promql.js";

const rewriteDuring = (e: string) => rewriteExpression(e, "during");
const rewriteAfter = (e: string) => rewriteExpression(e, "after");

describe("rewriteExpression during migration", () => {
  test.each([
    [
      'istio_requests_total{reporter="destination"}',
      'istio_requests_total{reporter=~"destination|waypoint"}',
    ],
    ['istio_requests_total{reporter="source"}', 'istio_requests_total{reporter=~"source|waypoint"}'],
    ['istio_requests_total{reporter=~"$qrep"}', 'istio_requests_total{reporter=~"$qrep|waypoint"}'],
    ['istio_requests_total{reporter="${rep}"}', 'istio_requests_total{reporter=~"${rep}|waypoint"}'],
    ["istio_requests_total{reporter='source'}", "istio_requests_total{reporter=~'source|waypoint'}"],
    [
      'istio_requests_total{reporter=~"source|destination"}',
      'istio_requests_total{reporter=~"source|destination|waypoint"}',
    ],
    [
      'istio_request_bytes_sum{reporter="destination"}',
      'istio_request_bytes_sum{reporter=~"destination|waypoint"}',
    ],
    [
      '{__name__="istio_response_messages_total", reporter="source"}',
      '{__name__="istio_response_messages_total", reporter=~"source|waypoint"}',
    ],
  ])("%s", (input, output) => {
    const r = rewriteDuring(input);
    expect(r.status).toBe("rewritten");
    expect(r.text).toBe(output);
  });

  test("leaves matchers that already match waypoint alone", () => {
    for (const e of [
      'istio_requests_total{reporter=~"source|waypoint"}',
      'istio_requests_total{reporter=~".*"}',
      'istio_requests_total{reporter="waypoint"}',
      'istio_requests_total{reporter=~"$qrep|waypoint"}',
    ]) {
      expect(rewriteDuring(e).status, e).toBe("unchanged");
    }
  });

  test("keeps everything but the matcher byte for byte, Grafana variables and spacing included", () => {
    const input =
      'sum(irate(istio_requests_total{reporter="destination",  destination_service=~"$service"}[$__rate_interval])) by (${group:csv}) / 1000';
    expect(rewriteDuring(input).text).toBe(
      'sum(irate(istio_requests_total{reporter=~"destination|waypoint",  destination_service=~"$service"}[$__rate_interval])) by (${group:csv}) / 1000',
    );
  });
});

describe("rewriteExpression after migration", () => {
  test.each([
    ['istio_requests_total{reporter="destination"}', 'istio_requests_total{reporter="waypoint"}'],
    ['istio_requests_total{reporter=~"$qrep"}', 'istio_requests_total{reporter="waypoint"}'],
    ['istio_requests_total{reporter=~"source|waypoint"}', 'istio_requests_total{reporter="waypoint"}'],
    [
      'rate(istio_request_duration_milliseconds_bucket{reporter="source"}[5m])',
      'rate(istio_request_duration_milliseconds_bucket{reporter="waypoint"}[5m])',
    ],
  ])("%s", (input, output) => {
    expect(rewriteAfter(input)).toMatchObject({ status: "rewritten", text: output });
  });

  test("already waypoint-only stays unchanged", () => {
    expect(rewriteAfter('istio_requests_total{reporter="waypoint"}').status).toBe("unchanged");
  });
});

describe("what is never guessed", () => {
  test.each([
    'istio_requests_total{reporter!="source"}',
    'istio_requests_total{reporter!~"source|destination"}',
  ])("negative matcher %s is flagged and not rewritten", (e) => {
    for (const r of [rewriteDuring(e), rewriteAfter(e)]) {
      expect(r.status).toBe("flagged");
      expect(r.text).toBe(e);
      expect(r.reasons.join()).toMatch(/negative reporter matcher/);
    }
  });

  test("an expression with one flagged matcher is not partially rewritten", () => {
    const e = 'istio_requests_total{reporter="source"} / istio_requests_total{reporter!="destination"}';
    expect(rewriteDuring(e)).toMatchObject({ status: "flagged", text: e, edits: [] });
  });

  test.each([
    'sum(rate(istio_requests_total{reporter="source"}[5m])',
    "istio_requests_total{reporter=}",
    "rate(x[5m]) +",
  ])("unparsable %s is reported", (e) => {
    const r = rewriteDuring(e);
    expect(r.status).toBe("flagged");
    expect(r.reasons[0]).toMatch(/not parsable as PromQL near offset \d+/);
    expect(r.text).toBe(e);
  });

  test("a reporter value that is no reporter is flagged", () => {
    expect(rewriteDuring('istio_requests_total{reporter="client"}').status).toBe("flagged");
  });
});

describe("families that are not rewritten", () => {
  test("TCP families keep their reporter and get a note", () => {
    const e = 'sum(rate(istio_tcp_sent_bytes_total{reporter="destination"}[5m]))';
    const r = rewriteDuring(e);
    expect(r).toMatchObject({ status: "unchanged", text: e });
    expect(r.notes).toContain(TCP_NOTE);
  });

  test("mixed L7 and TCP: only the L7 matcher changes", () => {
    const e =
      'sum(istio_requests_total{reporter="source"}) or sum(istio_tcp_sent_bytes_total{reporter="source"})';
    expect(rewriteAfter(e).text).toBe(
      'sum(istio_requests_total{reporter="waypoint"}) or sum(istio_tcp_sent_bytes_total{reporter="source"})',
    );
  });

  test("L7 selectors without a reporter matcher get a note", () => {
    const r = rewriteDuring("sum(istio_requests_total) by (destination_service)");
    expect(r.status).toBe("unchanged");
    expect(r.notes).toContain(NO_REPORTER_NOTE);
  });

  test("other metrics with a reporter label are not Istio's", () => {
    expect(rewriteDuring('my_requests_total{reporter="source"}').status).toBe("unchanged");
  });
});

describe("template queries", () => {
  test("query_result and label_values are unwrapped", () => {
    expect(
      rewriteTemplateQuery('query_result(sum(istio_requests_total{reporter="source"}) by (x))', "after").text,
    ).toBe('query_result(sum(istio_requests_total{reporter="waypoint"}) by (x))');
    expect(
      rewriteTemplateQuery(
        'label_values(istio_requests_total{reporter="destination"}, destination_workload)',
        "during",
      ).text,
    ).toBe('label_values(istio_requests_total{reporter=~"destination|waypoint"}, destination_workload)');
  });

  test("queries without PromQL are unchanged", () => {
    for (const q of ["label_values(destination_workload)", "label_names()", "metrics(istio_.*)"]) {
      expect(rewriteTemplateQuery(q, "during")).toMatchObject({ status: "unchanged", text: q });
    }
  });
});

// The one way pages talk to the Lantern API: same origin, JSON in and out.

const UNREACHABLE = "Lantern could not be reached. Check your connection and try again.";
const FAILED = "Something went wrong in Lantern. Try again in a few minutes.";

/**
 * Call the API and never throw: `{ok, status, data}`, with `data` the parsed JSON body or `{}`.
 * A failed response always carries `data.error`, so a page can show it as it is.
 *
 *   const { ok, data } = await api("POST", "/auth/forgot", { email });
 */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (method.toUpperCase() !== "GET") {
    headers["Content-Type"] = "application/json";
    // The server refuses state-changing requests without this header: another site can make a
    // browser send a form or a simple request, but not one with a custom header.
    headers["X-Lantern-Request"] = "1";
    if (body !== undefined) init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(`/api${path}`, init);
  } catch {
    return { ok: false, status: 0, data: { error: UNREACHABLE } };
  }

  let data = {};
  try {
    const parsed = await response.json();
    if (parsed && typeof parsed === "object") data = parsed;
  } catch {
    // An empty or non-JSON body (a gateway error page, a 204) leaves data as {}.
  }
  if (!response.ok && typeof data.error !== "string") data = { ...data, error: FAILED };
  return { ok: response.ok, status: response.status, data };
}

import { enableLogout, requireUser } from "./session.js";

// The disclosure guidance is in the page itself, so it shows even when the API does not answer.
requireUser().then((me) => {
  if (me) enableLogout(document.getElementById("logout"));
});

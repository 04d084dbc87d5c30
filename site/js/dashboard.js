import { enableLogout, requireUser } from "./session.js";

requireUser().then((me) => {
  if (!me) return;
  document.getElementById("user-name").textContent = me.user?.name ?? "";
  document.getElementById("user-role").textContent = me.user?.role_label ?? "";
  if (me.school?.name) document.getElementById("user-school").textContent = me.school.name;
  document.getElementById("signed-in").hidden = false;
  enableLogout(document.getElementById("logout"));
});

// Record-quality prompts: as the account is written, gentle suggestions in the guidance's spirit ("Good
// reporting is done using professional language and from an objective viewpoint"), each with one sentence of
// why. They never block: the incident can always be added as it is. A school can turn them off (settings
// `quality_prompts`), in which case the page has no prompts box and this module is not started.

// Short capitals that are words in a school, not someone's initials.
const NOT_INITIALS = new Set(
  "DSL DDSL DHT SLT SENCO SENDCO SEN SEND TA HLTA LSA PE RE ICT IT DT PSHE RSE KS KS1 KS2 KS3 EYFS EAL CAMHS MASH GP FGM LADO CP CIN PP LAC CLA UK OK TV AM PM ID PC MIS SATS SATs NHS CSE CCE EHCP".split(" "),
);
const INITIALS = /(?<![\p{L}\p{N}])(?:\p{Lu}\.\s?){1,3}(?![\p{L}\p{N}])|(?<![\p{L}\p{N}.])\p{Lu}{2,3}(?![\p{L}\p{N}])|\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s\p{Lu}\.?(?![\p{L}])/gu;
// Words that give the writer's view rather than what was seen and heard.
const OPINION = /\b(naughty|rude|lazy|attention[- ]seeking|manipulative|(?:a |is a )liar|spoilt|spoiled|horrible|nasty|vile|evil|stupid|silly|obviously|clearly|i think|i feel|i believe|kicked off|hysterical|crazy|psycho|drama queen|typical of|as usual|troublemaker|feral)\b/i;
// An account of something a child said or disclosed.
const DISCLOSURE = /\b(disclos\w*|told me|told (?:her|him|them|the \w+)|said (?:that|to me)|(?:he|she|they) said|(?:he|she|they) told|mentioned that|reported that)\b/i;
const QUOTED = /["“”„«»]|‘[^’]{2,}’|(?:^|\s)'[^']{2,}'/;

/**
 * The prompts for an account of an incident, as `[{id, text, why}]` (empty when there is nothing to suggest).
 *
 *   accountPrompts("JS was naughty")  // [{id: "initials", …}, {id: "opinion", …}]
 */
export function accountPrompts(account) {
  const text = String(account || "");
  const prompts = [];
  const initials = [...text.matchAll(INITIALS)].map((match) => match[0].trim()).filter((word) => !NOT_INITIALS.has(word.replace(/\.|\s/g, "")));
  if (initials.length) {
    prompts.push({
      id: "initials",
      text: `Write people’s full names rather than initials (“${initials[0]}”).`,
      why: "Initials can fit more than one child or adult, and this record may be read by others years from now.",
    });
  }
  const opinion = OPINION.exec(text);
  if (opinion) {
    prompts.push({
      id: "opinion",
      text: `“${opinion[0]}” gives an opinion: describe what you saw and heard instead.`,
      why: "Good reporting is done using professional language and from an objective viewpoint, so that the reader can judge.",
    });
  }
  if (DISCLOSURE.test(text) && !QUOTED.test(text)) {
    prompts.push({
      id: "voice",
      text: "Write the child’s own words, in quotation marks, as they said them.",
      why: "The voice of the child matters: their exact words are what the DSL, and anyone the DSL passes this to, need.",
    });
  }
  return prompts;
}

// Screen readers hear a new suggestion once the person pauses, not in the middle of a word.
const ANNOUNCE_DELAY_MS = 1000;

export class QualityPrompts {
  constructor(root, { textarea }) {
    this.root = root;
    this.textarea = textarea;
    this.list = root.querySelector(".app-prompts__list");
    this.status = document.getElementById("quality-prompts-status");
    this.timer = 0;
    this.shown = "";
    // Drawn as the person types, never a moment later: a box that appeared after a pause would move what is below
    // it just as a finger comes down on it.
    textarea.addEventListener("input", () => this.refresh());
    this.refresh();
  }

  refresh() {
    const prompts = accountPrompts(this.textarea.value);
    const items = prompts.map((prompt) => {
      const item = document.createElement("li");
      item.className = "app-prompts__item";
      item.dataset.prompt = prompt.id;
      const text = document.createElement("p");
      text.className = "app-prompts__text";
      text.textContent = prompt.text;
      const why = document.createElement("p");
      why.className = "app-prompts__why";
      why.textContent = prompt.why;
      item.append(text, why);
      return item;
    });
    this.list.replaceChildren(...items);
    this.root.hidden = items.length === 0;
    // Screen readers hear a prompt once, when it first appears, not on every pause in typing.
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.announce(prompts), ANNOUNCE_DELAY_MS);
  }

  announce(prompts) {
    const ids = prompts.map((prompt) => prompt.id).join(" ");
    if (ids === this.shown) return;
    const added = prompts.filter((prompt) => !this.shown.split(" ").includes(prompt.id));
    if (added.length) this.status.textContent = `Suggestion: ${added.map((prompt) => prompt.text).join(" ")}`;
    this.shown = ids;
  }
}

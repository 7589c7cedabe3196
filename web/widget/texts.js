/*
 * What the widget tells the patient, built from the clinic's numbers: the disclaimer, the
 * triage cards, the screen-reader alerts and the connection hints. Pure (config in, text out),
 * so node tests that every emergency text carries the emergency number when there is one.
 */

/** The card title of the three levels that need no call now. */
export var LEVEL_TEXT = {
  emergency: "Emergency",
  urgent: "Urgent",
  same_day: "Get advice today",
  routine: "Routine advice",
  self_care: "Self-care advice"
};

export function disclaimerText(config) {
  return config.disclaimer ||
    ("This chat is an automated symptom checker from " + config.clinicName + ". It gives general " +
     "advice, not a diagnosis, and staff do not read it as you type. " +
     (config.emergencyNumber
       ? "If you think you or your baby are in danger, do not wait for the chat: call " +
         config.emergencyNumber + " now."
       : "If you think you or your baby are in danger, call the emergency services now."));
}

/** The always-visible strip's rows: {prefix, number, label, ariaLabel, emergency}. */
export function stripLines(config) {
  var lines = [];
  if (config.emergencyNumber) {
    lines.push({ prefix: "Emergency? ", number: config.emergencyNumber,
                 label: "Call " + config.emergencyNumber,
                 ariaLabel: "Emergency: call " + config.emergencyNumber, emergency: true });
  }
  if (config.triagePhone) {
    lines.push({ prefix: config.triageName + ": ", number: config.triagePhone, label: config.triagePhone,
                 ariaLabel: "Call " + config.triageName + " on " + config.triagePhone, emergency: false });
  }
  return lines;
}

/** The triage card of a level: {title, body, call} where call is {number, label, className,
 * ariaLabel} or null (no number configured, or a level that needs no call now). */
export function triageCard(level, config) {
  if (level === "emergency") {
    return {
      title: "Emergency: get help now",
      body: config.emergencyNumber
        ? "Call " + config.emergencyNumber + " now. Do not wait for the chat."
        : "Call the emergency services now. Do not wait for the chat.",
      call: config.emergencyNumber ? {
        number: config.emergencyNumber,
        label: "Call " + config.emergencyNumber + " now",
        className: "tw-call tw-call--emergency",
        ariaLabel: "Emergency: call " + config.emergencyNumber + " now"
      } : null
    };
  }
  if (level === "urgent") {
    return {
      title: "Urgent: call " + config.triageName + " now",
      body: "Do not wait for an appointment. Call now and tell them what is happening.",
      call: config.triagePhone ? {
        number: config.triagePhone,
        label: "Call " + config.triagePhone,
        className: "tw-call tw-call--urgent",
        ariaLabel: "Call " + config.triageName + " on " + config.triagePhone
      } : null
    };
  }
  return { title: LEVEL_TEXT[level], body: null, call: null };
}

/** What the role="alert" region says for a level (emergency and urgent only), or null. */
export function alertText(level, config) {
  if (level === "emergency") {
    return config.emergencyNumber
      ? "Emergency. Call " + config.emergencyNumber + " now."
      : "Emergency. Call the emergency services now.";
  }
  if (level === "urgent") {
    return "Urgent. Call " + config.triageName + " now" +
      (config.triagePhone ? " on " + config.triagePhone + "." : ".");
  }
  return null;
}

export function phoneHint(config) {
  return config.emergencyNumber ? " In an emergency call " + config.emergencyNumber + "." : "";
}

/** The status line while the connection is lost; `queued`: messages waiting to be sent. */
export function reconnectingText(config, queued) {
  return "Connection lost. Reconnecting\u2026" +
    (queued ? " Your message will be sent when the chat is back." : "") + phoneHint(config);
}

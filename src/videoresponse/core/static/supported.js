// GOV.UK Frontend styles its JavaScript-enhanced components only when this class is set.
document.body.classList.add("js-enabled", "govuk-frontend-supported");

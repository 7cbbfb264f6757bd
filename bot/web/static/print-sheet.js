// The enrolment sheet's "Print the sheet" button (no inline script: the CSP allows none).
document.getElementById("print-sheet")?.addEventListener("click", () => window.print());

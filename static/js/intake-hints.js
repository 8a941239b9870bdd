// Intake hints: a suggested category is chosen with one click.
document.addEventListener("click", (event) => {
  const chip = event.target.closest("[data-category]");
  if (!chip) return;
  const select = document.getElementById("id_category");
  if (!select) return;
  select.value = chip.dataset.category;
  select.focus();
  for (const other of document.querySelectorAll("[data-category]")) {
    other.setAttribute("aria-pressed", String(other === chip));
  }
});

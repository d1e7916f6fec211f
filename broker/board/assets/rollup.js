// The upstream board (rollup.html, docs/rollup.md): GET /api/rollup every 5 s; the city list,
// and with #city=NAME that city's providers and units. Everything from the answer is set as
// text, never as markup.

const $ = (id) => document.getElementById(id);

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text == null ? '–' : String(text);
  row.appendChild(td);
  return td;
}

function age(seconds) {
  if (seconds == null) return 'ingen';
  if (seconds < 120) return `${seconds} s sedan`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min sedan`;
  return `${Math.round(seconds / 3600)} h sedan`;
}

function counts(obj) {
  const parts = Object.entries(obj || {}).map(([k, n]) => `${k}: ${n}`);
  return parts.length ? parts.join(', ') : '–';
}

function selectedCity() {
  const m = /^#city=(.*)$/.exec(window.location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

function renderCities(picture) {
  const body = $('city-rows');
  body.replaceChildren();
  for (const c of picture.cities) {
    const row = document.createElement('tr');
    const name = cell(row, '');
    const link = document.createElement('a');
    link.href = `#city=${encodeURIComponent(c.city)}`;
    link.textContent = c.city;
    name.appendChild(link);
    cell(row, c.connected ? 'ansluten' : 'ej ansluten');
    cell(row, age(c.newest_frame_age_s));
    cell(row, counts(c.units_by_state));
    cell(row, counts(c.refused));
    body.appendChild(row);
  }
}

function renderCity(picture, name) {
  const c = picture.cities.find((x) => x.city === name);
  $('city-name').textContent = c ? `${c.city} (${c.connected ? 'ansluten' : 'ej ansluten'})` : name;
  const body = $('unit-rows');
  body.replaceChildren();
  if (!c) return;
  for (const p of c.providers) {
    const units = p.units.length ? p.units : [null];
    for (const u of units) {
      const row = document.createElement('tr');
      cell(row, p.provider);
      cell(row, p.liveness);
      cell(row, u ? u.unit : null);
      cell(row, u ? u.state : null);
      cell(row, u ? age(u.age_s) : null);
      body.appendChild(row);
    }
  }
}

async function refresh() {
  let picture;
  try {
    const res = await fetch('/api/rollup', { credentials: 'same-origin' });
    if (res.status === 401) {
      $('rollup-message').textContent = 'Logga in på startsidan först.';
      return;
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    picture = await res.json();
  } catch (e) {
    $('rollup-message').textContent = `Kunde inte läsa lägesbilden: ${e.message}`;
    return;
  }
  $('rollup-message').textContent = `Uppdaterad ${picture.generated_at}`;
  const city = selectedCity();
  $('cities').hidden = city != null;
  $('city-detail').hidden = city == null;
  if (city == null) renderCities(picture); else renderCity(picture, city);
}

window.addEventListener('hashchange', refresh);
$('back').addEventListener('click', (e) => {
  e.preventDefault();
  window.location.hash = '';
});
refresh();
setInterval(refresh, 5000);

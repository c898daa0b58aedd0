/*
 * Share page: fills in the IMAP/SMTP server fields for well-known mail domains as the address is
 * typed (the table comes from the server, in the form's data-presets attribute). The form works
 * without this script: the server applies the same table to empty server fields.
 */
(function () {
  'use strict';
  var form = document.getElementById('connect-form');
  if (!form) return;
  var presets;
  try {
    presets = JSON.parse(form.getAttribute('data-presets') || '{}');
  } catch {
    return;
  }
  var email = document.getElementById('email');
  var hint = document.getElementById('preset-hint');
  var sides = ['imap', 'smtp'];

  function field(side, part) {
    return document.getElementById(side + part);
  }

  // A field is ours to change while it is empty or still holds what this script put there.
  function mayFill(input) {
    return input.value === '' || input.getAttribute('data-filled') === input.value;
  }

  function fill(input, value) {
    if (!mayFill(input)) return;
    input.value = value;
    input.setAttribute('data-filled', value);
  }

  function apply() {
    var address = email.value.trim().toLowerCase();
    var domain = address.slice(address.lastIndexOf('@') + 1);
    var preset = address.indexOf('@') > 0 && Object.prototype.hasOwnProperty.call(presets, domain) ? presets[domain] : null;
    if (!preset) {
      // Settings filled in for another domain no longer apply.
      sides.forEach(function (side) {
        ['Host', 'Port'].forEach(function (part) {
          var input = field(side, part);
          if (input.value !== '' && input.getAttribute('data-filled') === input.value) input.value = '';
        });
      });
      hint.textContent = '';
      return;
    }
    sides.forEach(function (side) {
      var host = field(side, 'Host');
      // The person typed a server of their own: leave that side alone.
      if (!mayFill(host)) return;
      fill(host, preset[side].host);
      fill(field(side, 'Port'), String(preset[side].port));
      field(side, 'Security').value = preset[side].security;
    });
    hint.textContent = preset.provider + ' settings filled in. ' + preset.passwordHint;
  }

  email.addEventListener('input', apply);
  email.addEventListener('change', apply);
  apply();
})();

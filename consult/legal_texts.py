"""Default texts of the legal pages (shipped by migration 0005; coordinators edit them later).

`{retention_days}` and the other braces are filled in from the settings when a page is shown.
"""

from __future__ import annotations

IMPRINT_DE = """\
## Angaben gemäß § 5 DDG

Netzwerk der Kommunen mit Bürgerhaushalt
c/o Koordinationsstelle
Musterstraße 1
10115 Berlin

**Vertreten durch:** die Koordinationsstelle des Netzwerks

## Kontakt

E-Mail: koordination@example.org

## Verantwortlich für den Inhalt nach § 18 Abs. 2 MStV

Die Koordinationsstelle des Netzwerks (Anschrift wie oben).

*Bitte ersetzen Sie diese Beispielangaben durch die Angaben Ihrer Organisation.*
"""

IMPRINT_EN = """\
## Information according to § 5 DDG (German Digital Services Act)

Network of municipalities with participatory budgets
c/o Coordination office
Musterstraße 1
10115 Berlin, Germany

**Represented by:** the network's coordination office

## Contact

E-mail: koordination@example.org

*Please replace these example details with your organisation's details.*
"""

PRIVACY_DE = """\
## Verantwortliche Stelle

Verantwortlich ist die im [Impressum](/impressum/) genannte Koordinationsstelle des Netzwerks.

## Welche Daten wir wofür verarbeiten

**Konten.** Name, E-Mail-Adresse, Benutzername, Passwort (nur als Hash), Sprache, Zeitzone und –
falls eingerichtet – der zweite Faktor. Zweck: Anmeldung und Nutzung des Angebots (Art. 6 Abs. 1
lit. b DSGVO). Sie können Ihre Daten unter „Mein Konto“ herunterladen und Ihr Konto löschen;
Buchungen und Anmeldungen, die die Gegenseite braucht, bleiben dann ohne Ihren Namen erhalten.

**Mitgliedsanträge.** Name der Organisation, Art, Land, Bundesland, Gemeindeschlüssel, Website,
Ansprechperson, E-Mail-Adresse, Sprache und der Zeitpunkt Ihrer Einwilligung. Zweck: Prüfung und
Aufnahme ins Netzwerk. Nicht bestätigte Anträge verfallen nach {membership_confirm_hours} Stunden.
Im öffentlichen Mitgliederverzeichnis erscheinen nur Organisationen, die dem zugestimmt haben,
und nur Art, Bundesland oder Staat und Verfahrensart – keine Namen von Personen, keine Adressen.

**Bewerbungen als Expert*in.** Name, E-Mail-Adresse, Organisation, Profiltext, Themen,
Referenzen und Sprache; nach Aufnahme das Profil, Verfügbarkeiten und Beratungsgrenzen.

**Beratungsanfragen und Buchungen.** Beschreibung des Vorhabens, Anliegen, gewählte Themen,
Termine, Notizen und Rückmeldungen. Empfänger: die gebuchte Expertin oder der gebuchte Experte
und die Koordination.

**Anmeldungen zu Veranstaltungen.** Name, E-Mail-Adresse, Organisation und Angaben zur
Teilnahme. Die Daten werden {retention_days} Tage nach dem Ende der Veranstaltung anonymisiert.

**Versand von E-Mails.** Jede Nachricht (Bestätigungen, Einladungen, Erinnerungen) wird mit
Empfängeradresse und Inhalt in einer Warteschlange gespeichert und über unseren Mailserver
verschickt. Empfänger ist der Betreiber des Mailservers (Auftragsverarbeitung nach Art. 28
DSGVO).

**Kalender.** Persönliche Kalender-Feeds enthalten Ihre Termine und sind nur über einen geheimen
Link abrufbar. Expert*innen können eigene Kalender (iCal oder CalDAV) verbinden: Wir lesen daraus
nur belegte Zeiten und tragen gebuchte Beratungen ein; Zugangsdaten werden verschlüsselt
gespeichert und beim Entfernen der Verbindung gelöscht.

**Forum und Kontaktanfragen.** Beiträge, Anhänge, Bewertungen und Kontaktanfragen zwischen
Mitgliedern. Beiträge sehen angemeldete Mitglieder; Kontaktdaten werden erst nach Annahme einer
Kontaktanfrage geteilt.

**Rückmeldungen zur Barrierefreiheit.** Name, E-Mail-Adresse und Nachricht gehen per E-Mail an
die Koordination.

**Server-Protokolle.** Beim Aufruf einer Seite verarbeitet der Webserver technisch notwendige
Daten (IP-Adresse, Zeitpunkt, aufgerufene Adresse, Browserkennung) zur Sicherheit des Betriebs
(Art. 6 Abs. 1 lit. f DSGVO); sie werden nach 14 Tagen gelöscht. Zum Schutz vor Missbrauch zählen
wir Versuche je Adresse für kurze Zeit (Minuten bis eine Stunde).

## Cookies

Wir setzen nur technisch notwendige Cookies (Sitzung, Schutz vor Cross-Site-Request-Forgery,
gewählte Sprache). Es gibt keine Analyse- oder Werbe-Cookies und keine eingebundenen Dienste
Dritter.

## Ihre Rechte

Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung der Verarbeitung,
Datenübertragbarkeit und Widerspruch sowie das Recht, sich bei einer Datenschutz-Aufsichtsbehörde
zu beschweren. Eine Einwilligung können Sie jederzeit für die Zukunft widerrufen.
"""

PRIVACY_EN = """\
## Controller

The controller is the network's coordination office named in the [imprint](/impressum/).

## What we process and why

**Accounts.** Name, e-mail address, user name, password (as a hash only), language, time zone
and, where set up, the second factor. Purpose: logging in and using the service (Art. 6(1)(b)
GDPR). You can download your data and delete your account under "My account"; bookings and
registrations the other side needs stay without your name.

**Membership applications.** Organisation name, kind, country, state, municipality key, website,
contact person, e-mail address, language and the time of your consent. Purpose: reviewing and
admitting members. Unconfirmed applications lapse after {membership_confirm_hours} hours. The
public member directory shows only organisations that agreed to it, and only kind, state or
country and procedure type — no names of persons, no addresses.

**Expert applications.** Name, e-mail address, organisation, profile text, topics, references
and language; once admitted, the profile, availability and booking limits.

**Consultation requests and bookings.** Description of the plan, the request, its topics, dates,
notes and feedback. Recipients: the booked expert and the coordination office.

**Event registrations.** Name, e-mail address, organisation and participation details. They are
anonymised {retention_days} days after the event ends.

**E-mail delivery.** Every message (confirmations, invitations, reminders) is stored in a queue
with its recipient and content and sent through our mail server. Its operator is a recipient
(processor under Art. 28 GDPR).

**Calendars.** Personal calendar feeds contain your appointments and can only be read through a
secret link. Experts can connect their own calendars (iCal or CalDAV): we read busy times only
and write booked consultations into them; credentials are stored encrypted and deleted when the
connection is removed.

**Forum and contact requests.** Posts, attachments, votes and contact requests between members.
Logged-in members see posts; contact details are shared only once a contact request is accepted.

**Accessibility feedback.** Name, e-mail address and message are e-mailed to the coordination
office.

**Server logs.** When you open a page, the web server processes technically necessary data (IP
address, time, address opened, browser identifier) to keep the service secure (Art. 6(1)(f)
GDPR); they are deleted after 14 days. Against abuse we count attempts per address for a short
time (minutes to an hour).

## Cookies

Only technically necessary cookies (session, protection against cross-site request forgery,
chosen language). No analytics, no advertising, no third-party services embedded.

## Your rights

You have the right of access, rectification, erasure, restriction, data portability and
objection, and the right to lodge a complaint with a data protection authority. You can withdraw
consent at any time for the future.
"""

ACCESSIBILITY_DE = """\
Das Netzwerk ist bemüht, dieses Angebot im Einklang mit der Barrierefreie-Informationstechnik-
Verordnung (BITV 2.0) barrierefrei zugänglich zu machen.

## Stand der Vereinbarkeit mit den Anforderungen

Dieses Angebot ist **teilweise vereinbar** mit der BITV 2.0 (WCAG 2.1, Stufe AA). Alle Seiten
funktionieren ohne JavaScript und mit der Tastatur; Formularfehler stehen neben dem Feld. Jede
Seite wird automatisch mit axe-core geprüft.

## Nicht barrierefreie Inhalte

- Hochgeladene Dokumente in der Praxisbibliothek und im Forum (PDF) sind nicht immer barrierefrei.
- Die Karte im Mitgliederverzeichnis ist eine Grafik; dieselben Angaben stehen in der Tabelle
  darunter.

## Erstellung dieser Erklärung

Diese Erklärung beruht auf einer Selbstbewertung.

## Feedback und Kontakt

Sind Ihnen Mängel beim barrierefreien Zugang aufgefallen? Schreiben Sie uns über das Formular
auf dieser Seite. Wir antworten in der Regel innerhalb von zwei Wochen.

## Schlichtungsverfahren

Wenn Sie auf Ihre Rückmeldung keine zufriedenstellende Antwort erhalten, können Sie die
Schlichtungsstelle nach § 16 BGG einschalten: www.schlichtungsstelle-bgg.de.
"""

ACCESSIBILITY_EN = """\
The network strives to make this service accessible in line with the German accessibility
regulation BITV 2.0.

## Compliance status

This service is **partially compliant** with BITV 2.0 (WCAG 2.1, level AA). Every page works
without JavaScript and with the keyboard; form errors are shown next to the field. Every page is
checked automatically with axe-core.

## Content that is not accessible

- Documents uploaded to the practice library and the forum (PDF) are not always accessible.
- The map in the member directory is a picture; the table below it holds the same information.

## Preparation of this statement

This statement is based on a self-assessment.

## Feedback and contact

Have you noticed barriers? Write to us with the form on this page. We usually answer within two
weeks.

## Conciliation procedure

If you do not receive a satisfactory answer, you can turn to the conciliation body under § 16
BGG: www.schlichtungsstelle-bgg.de.
"""

EASY_LANGUAGE_DE = """\
## Was ist das hier?

Das ist die Internet-Seite vom **Netzwerk Bürgerhaushalt**.

Bei einem Bürgerhaushalt sagen Menschen:
Dafür soll unsere Stadt Geld ausgeben.

## Was können Sie hier machen?

- Sie können **Mitglied** werden.
  Das kostet nichts.
- Städte und Gemeinden können **Beratung** bekommen.
  Fach-Leute helfen dann.
- Sie können in der **Bibliothek** lesen.
  Dort stehen gute Beispiele.
- Sie können zu **Seminaren** kommen.
  Dort lernen Sie mehr.
- Sie können sich mit anderen **austauschen**.

## Ihre Daten

Wir gehen gut mit Ihren Daten um.
Mehr dazu steht in der [Datenschutz-Erklärung](/datenschutz/).

## Hilfe

Etwas ist schwer zu benutzen?
Dann schreiben Sie uns.
Das geht auf der Seite [Barriere-Freiheit](/barrierefreiheit/).
"""

EASY_LANGUAGE_EN = """\
## What is this?

This is the website of the **participatory budgeting network**.

In a participatory budget, people say:
This is what our town should spend money on.

## What can you do here?

- You can become a **member**.
  It is free.
- Towns can get **advice**.
  Experts help them.
- You can read in the **library**.
  It has good examples.
- You can come to **seminars**.
  You learn more there.
- You can **talk** with others.

## Your data

We take good care of your data.
Read more in the [privacy notice](/datenschutz/).

## Help

Is something hard to use?
Then write to us.
You can do that on the [accessibility page](/barrierefreiheit/).
"""

DEFAULT_PAGES = {
    "impressum": ("Impressum", "Imprint", IMPRINT_DE, IMPRINT_EN),
    "datenschutz": ("Datenschutzerklärung", "Privacy notice", PRIVACY_DE, PRIVACY_EN),
    "barrierefreiheit": (
        "Erklärung zur Barrierefreiheit",
        "Accessibility statement",
        ACCESSIBILITY_DE,
        ACCESSIBILITY_EN,
    ),
    "leichte-sprache": (
        "Leichte Sprache",
        "Easy language",
        EASY_LANGUAGE_DE,
        EASY_LANGUAGE_EN,
    ),
}

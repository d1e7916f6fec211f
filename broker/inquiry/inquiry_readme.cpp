// See inquiry_readme.h. Kept beside docs/inquiry.md, which says the same at more length.
#include "broker/inquiry/inquiry_readme.h"

namespace samband::broker::inquiry {

std::string readmeText(const nlohmann::json& meta, int64_t periodFrames, int64_t beforeFrames) {
  const std::string from = meta["from_local"], to = meta["to_local"];
  const std::string key = meta["city_key_id"];
  const std::string n = std::to_string(periodFrames), b = std::to_string(beforeFrames);
  const std::string pictures = std::to_string(meta["pictures"].size());
  return "# Samband – utdrag för granskning / export for an inquiry\n\n"
         "## Svenska\n\n"
         "Den här mappen är ett utdrag ur kommunens Samband-arkiv för perioden " +
         from + " – " + to +
         ". Den innehåller varje signerat meddelande som kommunens server tog emot under perioden "
         "(" +
         n +
         " st, i `frames/` per timme), de meddelanden före perioden som lägesbilden vid "
         "periodens början vilar på (" +
         b +
         " st, `frames/before.jsonl`), kommunens publika nyckel "
         "(`city.pub`, nyckel-id " +
         key +
         ") med kommunens signerade registerposter (anslutningar "
         "och spärrar av nycklar, bland meddelandena), kommunens signerade kontrollpunkter "
         "(`checkpoints.jsonl`), och lägesbilden vid början, varje hel timme och slutet (" +
         pictures +
         " st, `pictures/`, som JSON och CSV).\n\n"
         "Varje meddelande finns med exakt de byte som avsändaren signerade (`envelope`, base64) "
         "och bredvid som läsbar JSON (`body`). Meddelandena innehåller antal och lägen, aldrig "
         "personuppgifter; fritext (orsak, anteckning) står som den rapporterades.\n\n"
         "### Så kontrollerar du mappen\n\n"
         "1. Kontrollera att nyckel-id " +
         key +
         " i `city.pub` är kommunens nyckel (samma som "
         "kommunen publicerat och som huvudmännen har i sina agenter).\n"
         "2. `python3 verify.py .` (Python 3 och PyNaCl, Debian-paketet `python3-nacl`). Skriptet "
         "kontrollerar kommunens signatur över `MANIFEST.sha256` och varje fils SHA-256, avkodar "
         "varje meddelande ur de signerade byten och jämför med JSON-texten, prövar varje signatur "
         "mot nycklar som kommunens registerposter styrker, att varje avsändares kedja är obruten "
         "(löpnummer och hash), att kommunens kontrollpunkter är signerade, kedjade och täcker "
         "exakt periodens meddelanden, och bygger om varje lägesbild (enheternas lägen, antal och "
         "tider) och jämför.\n"
         "3. Med kommunens program: `samband-broker inquiry verify .` gör samma kontroller och "
         "bygger dessutom om hela lägesbilderna, byte för byte.\n\n"
         "`sha256sum -c MANIFEST.sha256` visar också en ändrad fil, men bara signaturen i "
         "`MANIFEST.sig` visar att manifestet självt är kommunens.\n\n"
         "Det här visar mappen inte: namn och stadsdelar på enheter och huvudmän (`labels.json`) "
         "kommer från kommunens register i dag och är inte signerade; mottagningstiden är "
         "kommunens servers klocka (kontrollpunkterna ger en signerad övre gräns); en huvudmans "
         "uppkoppling (online, inaktiv) i lägesbilden bygger bara på arkiverade meddelanden, "
         "eftersom hjärtslag inte arkiveras; antalet avvisade meddelanden är inte känt i "
         "efterhand.\n\n"
         "## English\n\n"
         "This folder is an extract of the city's Samband archive for " +
         from + " to " + to +
         ". It holds every signed message the city's server received in the period (" + n +
         ", in `frames/` by hour), the messages before the period that the picture at its start "
         "rests on (" +
         b + ", `frames/before.jsonl`), the city's public key (`city.pub`, key id " + key +
         ") with the city's signed roster records (enrolments and revocations of keys, "
         "among the messages), the city's signed checkpoints (`checkpoints.jsonl`), and the "
         "picture at the start, at every full hour and at the end (" +
         pictures +
         ", `pictures/`, as JSON and CSV).\n\n"
         "Each message is given as the exact bytes its sender signed (`envelope`, base64) and, "
         "beside them, as readable JSON (`body`). Messages carry counts and states, never personal "
         "data; free text (reason, note) is as reported.\n\n"
         "### How to verify it\n\n"
         "1. Check that key id " +
         key +
         " in `city.pub` is the city's key (the one the city "
         "publishes and providers pin in their agents).\n"
         "2. `python3 verify.py .` (Python 3 and PyNaCl, Debian package `python3-nacl`). It checks "
         "the city's signature over `MANIFEST.sha256` and every file's SHA-256, decodes every "
         "message from its signed bytes and compares it with its JSON, checks every signature "
         "against keys proven by the city's roster records, that every sender's chain is unbroken "
         "(sequence numbers and hashes), that the city's checkpoints are signed, chained and cover "
         "exactly the period's messages, and rebuilds each picture (the units' states, counts and "
         "times) and compares.\n"
         "3. With the city's software: `samband-broker inquiry verify .` makes the same checks and "
         "also rebuilds the whole pictures, byte for byte.\n\n"
         "`sha256sum -c MANIFEST.sha256` also shows a changed file, but only the signature in "
         "`MANIFEST.sig` shows that the manifest itself is the city's.\n\n"
         "What the folder does not prove: the names and districts of units and providers "
         "(`labels.json`) come from the city's roster today and are not signed; receipt times are "
         "the city server's clock (the checkpoints give a signed upper bound); a provider's "
         "liveness (online, stale) in the pictures rests on archived messages only, as heartbeats "
         "are not archived; how many messages were refused is not known afterwards.\n";
}

}  // namespace samband::broker::inquiry

"""The words of the regression corpus: news stories, forum posts and comments per language,
written for this corpus in the style of defence ministries, alliances, newspapers, blogs and
forums (every organisation and site is invented or uses a reserved `.example` domain).

Each story is (title, first paragraph, second paragraph). `LANGUAGES` also gives what a
publisher of that language writes around the story: the "updated on" line, the words of a
correction, the suffix an editor adds to a reworded headline, the sentence added when a summary
is rewritten, and the marker that ends a cut text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

Story = tuple[str, str, str]


@dataclass(frozen=True)
class Language:
    """What a publisher writing in one language puts around its stories."""

    code: str
    months: tuple[str, ...]  # as written in a date ("14 mai 2024"), January first
    updated: str  # "Mis à jour le {d} {month} {y} à {H}:{M}"
    correction: str  # prefix of a correction entry's title
    reworded: tuple[str, ...]  # suffixes an editor adds to a headline when the story moves on
    lead: tuple[str, ...]  # sentences put in front of a rewritten summary
    cut: tuple[str, ...]  # markers that end a cut text ("…", "[…]", "Lire la suite", "Leer más")
    apostrophe: bool  # whether its texts use ’ (the cosmetic step swaps it for ')

    def updated_line(self, when: datetime) -> str:
        """The visible "updated on" line for `when` (in the feed's own zone)."""
        return self.updated.format(d=when.day, month=self.months[when.month - 1], y=when.year,
                                   mm=when.month, H=f"{when.hour:02d}", M=f"{when.minute:02d}")


FR = Language(
    "fr", ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"),
    "Mis à jour le {d} {month} {y} à {H}:{M}", "Rectificatif : ",
    (" : ce qu’il faut retenir", " : les réactions se multiplient", " (mise à jour)"),
    ("Selon un communiqué publié dans la soirée, les participants ont approuvé une feuille de "
     "route commune.",
     "Les discussions se sont prolongées tard dans la nuit, a indiqué un porte-parole."),
    (" […]", "…", " Lire la suite »"), True)

EN = Language(
    "en", ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "Updated: {d} {month} {y}, {H}:{M}", "Correction: ",
    (": what we know so far", " — live updates", ", officials say"),
    ("In a statement released late on Tuesday, the participants endorsed a joint road map.",
     "Talks ran late into the night, a spokesperson said."),
    (" […]", "…", " Read more"), True)

DE = Language(
    "de", ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"),
    "Aktualisiert am {d}. {month} {y}, {H}:{M} Uhr", "Korrektur: ",
    (" – was bisher bekannt ist", " (aktualisiert)"),
    ("Nach Angaben eines Sprechers dauerten die Gespräche bis in den späten Abend.",),
    ("…", " […]", " … weiterlesen"), False)

ES = Language(
    "es", ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
    "Actualizado el {d} de {month} de {y} a las {H}:{M}", "Fe de errores: ",
    (": lo que se sabe", " (actualización)"),
    ("Según un comunicado difundido por la tarde, los participantes aprobaron una hoja de "
     "ruta común.",),
    (" Leer más", "…"), False)

PL = Language(
    "pl", ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia",
           "września", "października", "listopada", "grudnia"),
    "Aktualizacja: {d} {month} {y}, godz. {H}:{M}", "Sprostowanie: ",
    (" – co wiemy", " (aktualizacja)"),
    ("Jak poinformował rzecznik resortu, rozmowy trwały do późnego wieczora.",),
    ("…", " Czytaj dalej »"), False)

RO = Language(
    "ro", ("ianuarie", "februarie", "martie", "aprilie", "mai", "iunie", "iulie", "august",
           "septembrie", "octombrie", "noiembrie", "decembrie"),
    "Actualizat la {d} {month} {y}, ora {H}:{M}", "Rectificare: ",
    (" – ce știm până acum", " (actualizat)"),
    ("Potrivit unui comunicat transmis seara, participanții au aprobat o foaie de parcurs "
     "comună.",),
    (" Citește mai mult", "…"), False)

RU = Language(
    "ru", ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"),
    "Обновлено {d} {month} {y} в {H}:{M}", "Поправка: ",
    (": что известно", " (обновлено)"),
    ("Как сообщил вечером представитель ведомства, стороны согласовали общий план действий.",),
    ("…", " […]", " Читать далее"), False)

ZH = Language(
    "zh", tuple(f"{m}月" for m in range(1, 13)),
    "更新于{y}年{month}{d}日 {H}:{M}", "更正：",
    ("（更新）", "：最新进展"),
    ("据当晚发布的公报，与会各方批准了一份共同路线图。",),
    ("……", "…", "……阅读全文"), False)

JA = Language(
    "ja", tuple(f"{m}月" for m in range(1, 13)),
    "更新日時：{y}年{month}{d}日 {H}時{M}分", "訂正：",
    ("（更新）", "　これまでに分かっていること"),
    ("関係者によると、協議は深夜まで続いた。",),
    ("……", "…続きを読む"), False)

KO = Language(
    "ko", tuple(f"{m}월" for m in range(1, 13)),
    "수정 {y}.{mm:02d}.{d:02d} {H}:{M}", "정정: ",
    (" (종합)", " (업데이트)"),
    ("관계자에 따르면 회의는 밤늦게까지 이어졌다.",),
    ("...", " 더보기"), False)

LANGUAGES = {lang.code: lang for lang in (FR, EN, DE, ES, PL, RO, RU, ZH, JA, KO)}


STORIES: dict[str, list[Story]] = {
    "fr": [
        ("Entretiens de travail entre les états-majors de l’Alliance et de la République de "
         "Corée",
         "Le 14 mai, l’Alliance a accueilli une délégation de la République de Corée pour des "
         "entretiens consacrés à la coopération militaire et à la résilience.",
         "Il a été question de la cybersécurité, de l’interopérabilité des forces et des "
         "possibilités futures de coopération dans l’Indo-Pacifique."),
        ("Le secrétaire général s’entretient avec le ministre letton des Affaires étrangères",
         "Ils ont évoqué le soutien à l’Ukraine, la défense du flanc est et la préparation du "
         "prochain sommet.",
         "Le ministre a salué « l’unité remarquable » des Alliés face aux menaces hybrides."),
        ("Exercice « Bouclier boréal » : fin de la phase maritime en mer du Nord",
         "La phase maritime de l’exercice s’est achevée jeudi après dix jours de manœuvres "
         "réunissant quarante bâtiments de quatorze pays.",
         "Les équipages ont répété l’escorte de convois et la lutte anti-sous-marine par "
         "grand froid."),
        ("Les ministres de la Défense se réunissent à Bruxelles",
         "Les ministres de la Défense des pays alliés se retrouvent mercredi et jeudi au siège "
         "pour faire le point sur les capacités et la production de munitions.",
         "Une déclaration commune sur la base industrielle de défense est attendue."),
        ("Cyberdéfense : un centre de réaction rapide inauguré à Tallinn",
         "Le nouveau centre pourra déployer en quarante-huit heures des équipes d’experts "
         "auprès d’un Allié victime d’une cyberattaque d’ampleur.",
         "Il s’appuie sur les leçons tirées des attaques contre des réseaux électriques en "
         "Europe."),
        ("Le Comité militaire en visite auprès des forces déployées en Roumanie",
         "Les chefs d’état-major ont rencontré les soldats du groupement tactique multinational "
         "stationné près de Cincu.",
         "Ils ont assisté à un exercice de franchissement et échangé avec les autorités "
         "roumaines."),
        ("Sécurité maritime : l’Alliance et ses partenaires de l’Indo-Pacifique renforcent "
         "leur dialogue",
         "Des représentants de l’Australie, du Japon, de la Nouvelle-Zélande et de la "
         "République de Corée ont participé à une réunion consacrée à la liberté de "
         "navigation.",
         "Les participants ont souligné l’importance des câbles sous-marins pour l’économie "
         "mondiale."),
        ("Discours du secrétaire général adjoint lors du forum de Varsovie",
         "Le secrétaire général adjoint a appelé à « investir davantage et plus vite » dans la "
         "défense aérienne intégrée.",
         "Il a rappelé que dix-huit Alliés consacrent désormais au moins 2 % de leur PIB à la "
         "défense."),
        ("Mission de police du ciel : des Rafale déployés en Lituanie",
         "Quatre avions de chasse et une centaine d’aviateurs assurent depuis lundi la police "
         "du ciel au-dessus des États baltes.",
         "Le détachement restera quatre mois sur la base de Šiauliai."),
        ("Réunion des ministres des Affaires étrangères à Prague : les points clés",
         "Les chefs de la diplomatie ont débattu du soutien à long terme à l’Ukraine et des "
         "relations avec les partenaires du Sud.",
         "Un accord a été trouvé sur un fonds commun pour l’innovation de défense."),
        ("Un nouveau commandant pour la force multinationale au Kosovo",
         "Le général de division Marco Bellini a pris mardi le commandement de la force, "
         "lors d’une cérémonie au camp Film City de Pristina.",
         "Il succède à un officier hongrois qui a dirigé la mission pendant un an."),
        ("Le Conseil de l’Atlantique Nord condamne le tir de missile balistique",
         "Les Alliés ont exprimé leur « profonde préoccupation » après le tir effectué dans la "
         "nuit au-dessus de la mer du Japon.",
         "Ils appellent au respect des résolutions du Conseil de sécurité des Nations unies."),
        ("Innovation : douze start-up sélectionnées par l’accélérateur de défense",
         "Les entreprises retenues travaillent sur la détection de drones, l’énergie "
         "embarquée et la médecine de guerre.",
         "Chacune recevra un financement de départ et l’accès à des centres d’essai."),
        ("Les femmes, la paix et la sécurité au cœur d’une conférence à Oslo",
         "Plus de trois cents participants ont échangé sur la protection des civils et la "
         "place des femmes dans les forces armées.",
         "Un plan d’action révisé sera présenté au prochain sommet."),
        ("Entraînement hivernal : les chasseurs alpins en Norvège",
         "Un bataillon de chasseurs alpins s’entraîne depuis trois semaines au-delà du cercle "
         "polaire avec des unités norvégiennes et finlandaises.",
         "Les températures sont descendues jusqu’à moins trente-deux degrés."),
        ("Ukraine : un nouveau paquet d’aide non létale approuvé",
         "Le fonds d’assistance globale financera du carburant, des rations de combat et des "
         "équipements de déminage.",
         "Les livraisons commenceront avant la fin du trimestre."),
        ("Défense aérienne : accord sur l’achat groupé de missiles",
         "Six Alliés ont signé un accord-cadre pour acquérir ensemble des missiles de défense "
         "aérienne, afin de réduire les délais et les coûts.",
         "L’agence de soutien gérera le contrat au nom des pays participants."),
        ("Visite du président du Comité militaire au Japon",
         "Le président du Comité militaire s’est rendu à Tokyo pour des entretiens avec le chef "
         "d’état-major des forces d’autodéfense.",
         "Les deux parties ont évoqué la sécurité spatiale et l’échange d’informations."),
        ("Cérémonie d’adhésion : le drapeau hissé devant le siège",
         "Le drapeau du nouvel Allié a été hissé lundi matin devant le siège, en présence de "
         "son Premier ministre.",
         "« C’est un jour historique pour notre pays », a-t-il déclaré."),
        ("Changement climatique et sécurité : un rapport d’évaluation publié",
         "Le rapport annuel évalue l’effet des vagues de chaleur et des inondations sur les "
         "infrastructures militaires.",
         "Il recommande d’adapter les normes de construction des bases d’ici 2030."),
        ("Mer Noire : les Alliés riverains coordonnent le déminage",
         "La Roumanie, la Bulgarie et la Turquie ont lancé une mission commune de lutte contre "
         "les mines dérivantes.",
         "Trois chasseurs de mines et des plongeurs démineurs y participent."),
        ("Le sommet de Washington en cinq questions",
         "Dates, participants, enjeux : ce qu’il faut savoir avant le sommet qui marquera le "
         "soixante-quinzième anniversaire de l’Alliance.",
         "Les dirigeants doivent adopter une déclaration sur la dissuasion et la défense."),
        ("Bourse d’études : appel à candidatures pour les jeunes chercheurs",
         "Le programme de bourses finance chaque année des travaux sur la sécurité "
         "euro-atlantique.",
         "Les candidatures sont ouvertes jusqu’au 30 juin."),
        ("Logistique : un corridor ferroviaire entre la Pologne et les États baltes",
         "Le projet doit permettre d’acheminer chars et munitions sans rupture de charge "
         "jusqu’à la frontière estonienne.",
         "Les premiers tronçons seront mis en service l’an prochain."),
        ("Sous-marins : exercice de sauvetage au large de l’Écosse",
         "Des équipes de douze pays ont simulé l’évacuation de l’équipage d’un sous-marin "
         "immobilisé par cent mètres de fond.",
         "L’exercice a mobilisé un navire de soutien et deux véhicules de sauvetage."),
        ("Espace : l’Alliance se dote d’un centre de surveillance",
         "Le centre, installé à Ramstein, suivra les satellites et les débris qui menacent "
         "les moyens spatiaux des Alliés.",
         "Il sera pleinement opérationnel en 2025."),
        ("Désinformation : un guide pratique pour les rédactions",
         "Le guide aide les journalistes à repérer les campagnes coordonnées sur les réseaux "
         "sociaux et les faux comptes.",
         "Il est disponible en quinze langues."),
        ("Commémoration du débarquement : les vétérans à l’honneur",
         "Une cérémonie a réuni sur la plage d’Omaha les derniers vétérans et des soldats "
         "de sept pays.",
         "Des élèves ont lu les lettres de soldats tombés en juin 1944."),
        ("Arctique : le Grand Nord au menu du Conseil",
         "Les ambassadeurs ont examiné l’augmentation des activités militaires dans "
         "l’Arctique et leurs conséquences pour la sécurité.",
         "La Norvège a présenté son nouveau plan de surveillance maritime."),
        ("Partenariat : la Moldavie accueille un bureau de liaison",
         "Le bureau aidera Chisinau à moderniser ses forces armées et à renforcer sa "
         "résilience face aux cyberattaques.",
         "Son ouverture officielle aura lieu le mois prochain."),
    ],
    "en": [
        ("Military staff talks with the Republic of Korea focus on resilience",
         "On 14 May, Allied military staff hosted a delegation from the Republic of Korea for "
         "talks on practical cooperation and resilience.",
         "Discussions covered cyber defence, interoperability and future cooperation in the "
         "Indo-Pacific."),
        ("Secretary General meets Latvia’s Foreign Minister",
         "They discussed support for Ukraine, the defence of the eastern flank and preparations "
         "for the upcoming summit.",
         "The minister praised the “remarkable unity” of Allies in the face of hybrid "
         "threats."),
        ("Exercise Northern Shield wraps up its maritime phase",
         "The maritime phase of the exercise ended on Thursday after ten days of manoeuvres "
         "involving forty ships from fourteen nations.",
         "Crews rehearsed convoy escort and anti-submarine warfare in freezing conditions."),
        ("Defence ministers meet in Brussels to review capability targets",
         "Allied defence ministers gather on Wednesday and Thursday to take stock of "
         "capabilities and ammunition production.",
         "A joint statement on the defence industrial base is expected."),
        ("New rapid-reaction cyber centre opens in Tallinn",
         "The new centre can deploy teams of experts within forty-eight hours to an Ally hit "
         "by a major cyber attack.",
         "It builds on lessons learnt from attacks on Europe’s power grids."),
        ("Military Committee visits troops deployed in Romania",
         "The chiefs of defence met soldiers of the multinational battlegroup stationed near "
         "Cincu.",
         "They watched a river-crossing drill and met Romanian officials."),
        ("Allies and Indo-Pacific partners step up maritime security dialogue",
         "Representatives of Australia, Japan, New Zealand and the Republic of Korea took part "
         "in a meeting on freedom of navigation.",
         "Participants stressed the importance of undersea cables to the global economy."),
        ("Deputy Secretary General’s keynote at the Warsaw Security Forum",
         "The Deputy Secretary General called on Allies to “invest more and faster” in "
         "integrated air and missile defence.",
         "Eighteen Allies now spend at least 2% of GDP on defence, she said."),
        ("Air policing: fighter jets arrive in Lithuania",
         "Four fighter aircraft and about a hundred airmen have been policing Baltic airspace "
         "since Monday.",
         "The detachment will stay at Šiauliai air base for four months."),
        ("Foreign ministers meet in Prague: key takeaways",
         "Foreign ministers discussed long-term support for Ukraine and relations with "
         "partners in the South.",
         "They agreed on a common fund for defence innovation."),
        ("New commander takes over the Kosovo force",
         "Major General Marco Bellini took command of the force on Tuesday at a ceremony in "
         "Camp Film City, Pristina.",
         "He succeeds a Hungarian officer who led the mission for a year."),
        ("North Atlantic Council condemns ballistic missile launch",
         "Allies expressed “deep concern” after the overnight launch over the Sea of Japan.",
         "They called for full compliance with UN Security Council resolutions."),
        ("Twelve start-ups join the defence innovation accelerator",
         "The selected companies work on drone detection, portable power and battlefield "
         "medicine.",
         "Each will receive seed funding and access to test centres."),
        ("Women, peace and security take centre stage in Oslo",
         "More than three hundred participants discussed the protection of civilians and the "
         "role of women in the armed forces.",
         "A revised action plan will be presented at the next summit."),
        ("Winter training: mountain troops in northern Norway",
         "A mountain infantry battalion has spent three weeks training above the Arctic Circle "
         "with Norwegian and Finnish units.",
         "Temperatures dropped to minus thirty-two degrees Celsius."),
        ("Ukraine: new package of non-lethal aid approved",
         "The comprehensive assistance fund will pay for fuel, combat rations and demining "
         "equipment.",
         "Deliveries will start before the end of the quarter."),
        ("Six Allies sign joint procurement deal for air-defence missiles",
         "Six Allies signed a framework agreement to buy air-defence missiles together, "
         "cutting delays and costs.",
         "The support agency will manage the contract on behalf of the participants."),
        ("Chair of the Military Committee visits Japan",
         "The Chair of the Military Committee travelled to Tokyo for talks with the Chief of "
         "Staff of the Japan Self-Defense Forces.",
         "Both sides discussed space security and information sharing."),
        ("Flag-raising ceremony marks accession of newest Ally",
         "The flag of the newest Ally was raised outside headquarters on Monday morning in the "
         "presence of its Prime Minister.",
         "“This is a historic day for our country,” he said."),
        ("Climate change and security: impact assessment published",
         "The annual report assesses how heatwaves and floods affect military infrastructure.",
         "It recommends updating construction standards for bases by 2030."),
        ("Black Sea Allies coordinate mine clearance",
         "Romania, Bulgaria and Türkiye launched a joint mission to clear drifting mines.",
         "Three minehunters and teams of navy divers are taking part."),
        ("The Washington Summit in five questions",
         "Dates, participants and stakes: what you need to know before the summit marking the "
         "Alliance’s 75th anniversary.",
         "Leaders are expected to adopt a declaration on deterrence and defence."),
        ("Call for applications: fellowships for young researchers",
         "The fellowship programme funds research on Euro-Atlantic security every year.",
         "Applications are open until 30 June."),
        ("Rail corridor to link Poland and the Baltic states",
         "The project will let tanks and ammunition travel without trans-shipment all the way "
         "to the Estonian border.",
         "The first sections will open next year."),
        ("Submarine rescue exercise off the coast of Scotland",
         "Teams from twelve nations simulated the evacuation of a submarine crew trapped a "
         "hundred metres below the surface.",
         "A support ship and two rescue vehicles took part."),
        ("Alliance sets up a space surveillance centre",
         "The centre at Ramstein will track satellites and debris that threaten Allied space "
         "assets.",
         "It will be fully operational in 2025."),
        ("Disinformation: a practical guide for newsrooms",
         "The guide helps journalists spot coordinated campaigns on social media and fake "
         "accounts.",
         "It is available in fifteen languages."),
        ("D-Day anniversary honours the last veterans",
         "A ceremony on Omaha Beach brought together the last veterans and soldiers from seven "
         "countries.",
         "Pupils read letters written by soldiers who fell in June 1944."),
        ("High North on the Council’s agenda",
         "Ambassadors reviewed the rise in military activity in the Arctic and what it means "
         "for security.",
         "Norway presented its new maritime surveillance plan."),
        ("Moldova to host a liaison office",
         "The office will help Chisinau modernise its armed forces and build resilience "
         "against cyber attacks.",
         "It will open officially next month."),
    ],
    "de": [
        ("Verteidigungsminister treffen sich in Brüssel",
         "Die Verteidigungsminister der Bündnispartner beraten am Mittwoch und Donnerstag über "
         "Fähigkeitsziele und die Produktion von Munition.",
         "Erwartet wird eine gemeinsame Erklärung zur Rüstungsindustrie."),
        ("Luftraumüberwachung: Eurofighter verlegen nach Litauen",
         "Vier Kampfflugzeuge und rund hundert Soldatinnen und Soldaten sichern seit Montag den "
         "Luftraum über dem Baltikum.",
         "Das Kontingent bleibt vier Monate auf dem Flugplatz Šiauliai."),
        ("Übung „Nordschild“: Seephase in der Nordsee beendet",
         "Nach zehn Tagen mit vierzig Schiffen aus vierzehn Nationen ist die Seephase der "
         "Übung am Donnerstag zu Ende gegangen.",
         "Geübt wurden Geleitschutz und U-Boot-Abwehr bei eisigen Temperaturen."),
        ("Neues Zentrum für Cyberabwehr in Tallinn eröffnet",
         "Das Zentrum kann innerhalb von achtundvierzig Stunden Fachleute zu einem "
         "angegriffenen Bündnispartner schicken.",
         "Es stützt sich auf Erfahrungen aus Angriffen auf Stromnetze in Europa."),
        ("Gebirgsjäger trainieren in Nordnorwegen",
         "Ein Gebirgsjägerbataillon übt seit drei Wochen nördlich des Polarkreises gemeinsam "
         "mit norwegischen und finnischen Einheiten.",
         "Die Temperaturen fielen auf minus zweiunddreißig Grad."),
        ("Ukraine: Neues Hilfspaket beschlossen",
         "Aus dem Unterstützungsfonds werden Treibstoff, Verpflegung und Geräte zur "
         "Minenräumung bezahlt.",
         "Die Lieferungen beginnen noch vor Ende des Quartals."),
        ("Sechs Staaten beschaffen gemeinsam Flugabwehrraketen",
         "Sechs Bündnispartner haben einen Rahmenvertrag über den gemeinsamen Kauf von "
         "Flugabwehrraketen unterzeichnet.",
         "Die Unterstützungsagentur verwaltet den Vertrag für alle Beteiligten."),
        ("Brigade in Litauen: Vorkommando trifft in Vilnius ein",
         "Rund zwanzig Soldaten bereiten die dauerhafte Stationierung einer Panzerbrigade vor.",
         "Bis 2027 sollen knapp fünftausend Soldatinnen und Soldaten vor Ort sein."),
        ("Marine übernimmt Führung eines Minenabwehrverbands",
         "Ein deutscher Fregattenkapitän führt ab sofort den ständigen Minenabwehrverband in "
         "Nord- und Ostsee.",
         "Zum Verband gehören Boote aus fünf Nationen."),
        ("Weltraumlagezentrum in Uedem erweitert",
         "Das Zentrum verfolgt Satelliten und Weltraumschrott, die militärische Systeme "
         "gefährden könnten.",
         "Die Zahl der Dienstposten wird bis 2026 verdoppelt."),
        ("Sanitätsdienst übt Versorgung von Verwundeten",
         "Rund sechshundert Kräfte haben in Bayern die Rettungskette vom Gefechtsfeld bis ins "
         "Krankenhaus geübt.",
         "Beteiligt waren auch zivile Kliniken."),
        ("Reservisten: Mehr Übungsplätze im kommenden Jahr",
         "Das Ministerium will die Zahl der Reserveübungen deutlich erhöhen.",
         "Arbeitgeber sollen dafür einen Ausgleich erhalten."),
        ("Gedenken an die Gefallenen in Berlin",
         "Am Ehrenmal im Bendlerblock wurde der im Einsatz gestorbenen Soldatinnen und Soldaten "
         "gedacht.",
         "Angehörige legten Kränze nieder."),
        ("Hochwasser: Soldaten helfen in Niederbayern",
         "Mehr als achthundert Soldaten füllen Sandsäcke und sichern Deiche an der Donau.",
         "Der Einsatz soll bis zum Wochenende dauern."),
    ],
    "es": [
        ("Los ministros de Defensa se reúnen en Bruselas",
         "Los ministros de Defensa de los países aliados se reúnen el miércoles y el jueves "
         "para revisar capacidades y producción de munición.",
         "Se espera una declaración conjunta sobre la industria de defensa."),
        ("Policía aérea: cazas españoles despliegan en Lituania",
         "Cuatro aviones de combate y un centenar de militares vigilan desde el lunes el "
         "espacio aéreo báltico.",
         "El destacamento permanecerá cuatro meses en la base de Šiauliai."),
        ("¿Qué se decidirá en la cumbre de Washington?",
         "Fechas, participantes y objetivos: lo que hay que saber antes de la cumbre del "
         "septuagésimo quinto aniversario.",
         "Los líderes deben aprobar una declaración sobre disuasión y defensa."),
        ("Ejercicio «Escudo Boreal»: concluye la fase naval",
         "La fase naval terminó el jueves tras diez días de maniobras con cuarenta buques de "
         "catorce países.",
         "Las tripulaciones ensayaron la escolta de convoyes y la guerra antisubmarina."),
        ("Nuevo centro de ciberdefensa en Tallin",
         "El centro podrá enviar en cuarenta y ocho horas equipos de expertos a un aliado que "
         "sufra un ciberataque grave.",
         "Se basa en la experiencia de ataques contra redes eléctricas europeas."),
        ("Ucrania: aprobado un nuevo paquete de ayuda no letal",
         "El fondo de asistencia pagará combustible, raciones de combate y equipos de "
         "desminado.",
         "Las entregas comenzarán antes de que acabe el trimestre."),
        ("La Armada participa en un ejercicio de rescate de submarinos",
         "Equipos de doce países simularon la evacuación de la tripulación de un submarino "
         "atrapado a cien metros de profundidad.",
         "Participaron un buque de apoyo y dos vehículos de rescate."),
        ("Mujeres, paz y seguridad: conferencia en Oslo",
         "Más de trescientos participantes debatieron sobre la protección de civiles y el "
         "papel de la mujer en las Fuerzas Armadas.",
         "El plan de acción revisado se presentará en la próxima cumbre."),
        ("Desminado en el mar Negro: los aliados ribereños coordinan sus medios",
         "Rumanía, Bulgaria y Turquía lanzaron una misión conjunta contra las minas a la "
         "deriva.",
         "Participan tres cazaminas y equipos de buceadores."),
        ("Becas para jóvenes investigadores: plazo abierto",
         "El programa financia cada año estudios sobre la seguridad euroatlántica.",
         "Las solicitudes pueden enviarse hasta el 30 de junio."),
        ("Inundaciones: la Unidad Militar de Emergencias en Valencia",
         "Más de quinientos militares ayudan a desalojar viviendas y a despejar carreteras.",
         "El despliegue se mantendrá mientras dure la alerta."),
        ("España asume el mando de la agrupación naval permanente",
         "Un capitán de navío español dirige desde el lunes la agrupación naval en el "
         "Mediterráneo.",
         "La fragata «Cristóbal Colón» será el buque insignia."),
        ("Homenaje a los caídos en el Día de las Fuerzas Armadas",
         "El acto central reunió en Oviedo a militares, veteranos y familias.",
         "Se entregaron condecoraciones a ocho militares."),
        ("Espacio: se crea un centro de vigilancia de satélites",
         "El centro seguirá satélites y basura espacial que amenacen los medios aliados.",
         "Estará plenamente operativo en 2025."),
    ],
    "pl": [
        ("Ministrowie obrony obradują w Brukseli",
         "Ministrowie obrony państw sojuszniczych spotykają się w środę i czwartek, aby "
         "omówić zdolności wojskowe i produkcję amunicji.",
         "Oczekiwana jest wspólna deklaracja w sprawie przemysłu zbrojeniowego."),
        ("Ćwiczenia „Tarcza Północy” zakończone na Bałtyku",
         "Po dziesięciu dniach manewrów z udziałem czterdziestu okrętów zakończyła się morska "
         "faza ćwiczeń.",
         "Załogi ćwiczyły eskortę konwojów i zwalczanie okrętów podwodnych."),
        ("Żołnierze pomagają mieszkańcom zalanych gmin na Dolnym Śląsku",
         "Ponad tysiąc żołnierzy układa worki z piaskiem i wzmacnia wały na Odrze.",
         "Akcja potrwa co najmniej do końca tygodnia."),
        ("Nowe śmigłowce trafiły do brygady kawalerii powietrznej",
         "Pierwsze cztery maszyny przekazano w czwartek w Tomaszowie Mazowieckim.",
         "Do końca roku jednostka otrzyma kolejne osiem śmigłowców."),
        ("Korytarz kolejowy połączy Polskę z państwami bałtyckimi",
         "Projekt pozwoli przewozić czołgi i amunicję bez przeładunku aż do granicy z Estonią.",
         "Pierwsze odcinki zostaną oddane w przyszłym roku."),
        ("Wojska Obrony Terytorialnej szkolą ochotników w Łodzi",
         "Szesnastodniowe szkolenie podstawowe rozpoczęło ponad dwustu ochotników.",
         "Wśród nich jest czterdzieści kobiet."),
        ("Centrum cyberbezpieczeństwa otwarte w Tallinie",
         "Centrum może w ciągu czterdziestu ośmiu godzin wysłać ekspertów do sojusznika "
         "zaatakowanego w cyberprzestrzeni.",
         "Korzysta z doświadczeń ataków na europejskie sieci energetyczne."),
        ("Ukraina: nowy pakiet pomocy zatwierdzony",
         "Fundusz pomocowy sfinansuje paliwo, racje żywnościowe i sprzęt do rozminowania.",
         "Dostawy ruszą jeszcze przed końcem kwartału."),
        ("Uroczystość w Gdyni: nowy okręt w służbie Marynarki Wojennej",
         "Na okręcie podniesiono banderę w obecności dowódcy generalnego.",
         "Jednostka będzie wykonywać zadania ratownicze na Bałtyku."),
        ("Stypendia dla młodych badaczy bezpieczeństwa",
         "Program co roku finansuje badania nad bezpieczeństwem euroatlantyckim.",
         "Wnioski można składać do 30 czerwca."),
        ("Patrioty na ćwiczeniach w Ustce",
         "Żołnierze przeprowadzili strzelania z zestawów obrony powietrznej na poligonie nad "
         "morzem.",
         "Wszystkie cele zostały zniszczone."),
        ("Żołnierze z Węgier i Słowacji ćwiczą w Orzyszu",
         "Wielonarodowa grupa bojowa przećwiczyła przeprawę przez rzekę.",
         "Ćwiczenia obserwowali przedstawiciele władz samorządowych."),
    ],
    "ro": [
        ("Miniștrii apărării se reunesc la Bruxelles",
         "Miniștrii apărării din statele aliate se întâlnesc miercuri și joi pentru a analiza "
         "capabilitățile și producția de muniție.",
         "Este așteptată o declarație comună privind industria de apărare."),
        ("Exercițiul „Scutul Nordului”: s-a încheiat faza navală",
         "Faza navală s-a încheiat joi, după zece zile de manevre cu patruzeci de nave din "
         "paisprezece țări.",
         "Echipajele au exersat escortarea convoaielor și lupta antisubmarin."),
        ("Deminare în Marea Neagră: România, Bulgaria și Turcia își coordonează forțele",
         "Cele trei state au lansat o misiune comună împotriva minelor în derivă.",
         "Participă trei nave de vânătoare de mine și scafandri militari."),
        ("Comitetul Militar în vizită la Cincu",
         "Șefii apărării s-au întâlnit cu militarii grupului de luptă multinațional.",
         "Au asistat la un exercițiu de traversare a unui curs de apă."),
        ("Poliție aeriană: avioane F-16 românești în Lituania",
         "Patru avioane de luptă și aproximativ o sută de militari asigură de luni poliția "
         "aeriană în statele baltice.",
         "Detașamentul va rămâne patru luni la baza Šiauliai."),
        ("Ucraina: un nou pachet de ajutor aprobat",
         "Fondul de asistență va plăti combustibil, rații de hrană și echipamente de "
         "deminare.",
         "Livrările vor începe înainte de sfârșitul trimestrului."),
        ("Centru nou de apărare cibernetică la Tallinn",
         "Centrul poate trimite în patruzeci și opt de ore echipe de experți la un aliat "
         "atacat cibernetic.",
         "Se bazează pe lecțiile atacurilor asupra rețelelor electrice din Europa."),
        ("Inundații: militarii ajută localitățile din Galați",
         "Peste patru sute de militari consolidează digurile și evacuează locuitori.",
         "Intervenția va continua până la retragerea apelor."),
        ("Burse pentru tineri cercetători în domeniul securității",
         "Programul finanțează în fiecare an cercetări privind securitatea euroatlantică.",
         "Candidaturile pot fi depuse până la 30 iunie."),
        ("Baza de la Mihail Kogălniceanu va fi extinsă",
         "Lucrările vor permite găzduirea a câtorva mii de militari aliați.",
         "Primele clădiri vor fi gata în 2026."),
        ("Ziua Marinei sărbătorită la Constanța",
         "Nave militare și civile au defilat în portul Constanța.",
         "Zeci de mii de oameni au urmărit ceremonia."),
        ("Moldova găzduiește un birou de legătură",
         "Biroul va ajuta Chișinăul să își modernizeze forțele armate.",
         "Deschiderea oficială va avea loc luna viitoare."),
    ],
    "ru": [
        ("Министры обороны стран альянса собрались в Брюсселе",
         "Министры обороны обсуждают в среду и четверг военный потенциал и производство "
         "боеприпасов.",
         "Ожидается совместное заявление об оборонной промышленности."),
        ("Учения «Северный щит»: завершился морской этап",
         "Морской этап завершился в четверг после десяти дней манёвров с участием сорока "
         "кораблей из четырнадцати стран.",
         "Экипажи отработали сопровождение конвоев и противолодочную оборону."),
        ("В Таллине открылся центр киберзащиты",
         "Центр сможет за сорок восемь часов направить экспертов к союзнику, пострадавшему от "
         "крупной кибератаки.",
         "Он опирается на опыт атак на энергосети Европы."),
        ("Патрулирование воздушного пространства Прибалтики",
         "Четыре истребителя и около ста военнослужащих с понедельника несут дежурство над "
         "странами Балтии.",
         "Подразделение пробудет на авиабазе Шяуляй четыре месяца."),
        ("Разминирование в Чёрном море: страны региона объединяют усилия",
         "Румыния, Болгария и Турция начали совместную операцию против дрейфующих мин.",
         "В ней участвуют три тральщика и водолазы."),
        ("Горные стрелки тренируются за Полярным кругом",
         "Батальон горной пехоты третью неделю проводит учения в Норвегии вместе с норвежскими "
         "и финскими подразделениями.",
         "Температура опускалась до минус тридцати двух градусов."),
        ("Новый пакет гуманитарной помощи одобрен",
         "Фонд помощи оплатит топливо, сухие пайки и оборудование для разминирования.",
         "Поставки начнутся до конца квартала."),
        ("Спасение подводников: учения у берегов Шотландии",
         "Команды из двенадцати стран отработали эвакуацию экипажа подводной лодки с глубины "
         "ста метров.",
         "В учениях участвовали судно обеспечения и два спасательных аппарата."),
        ("Космос: создан центр наблюдения за спутниками",
         "Центр в Рамштайне будет отслеживать спутники и космический мусор.",
         "Полностью он заработает в 2025 году."),
        ("Дезинформация: практическое пособие для редакций",
         "Пособие помогает журналистам распознавать скоординированные кампании в соцсетях.",
         "Оно доступно на пятнадцати языках."),
        ("Арктика в повестке дня совета",
         "Послы обсудили рост военной активности в Арктике и его последствия для "
         "безопасности.",
         "Норвегия представила новый план морского наблюдения."),
        ("Стипендии для молодых исследователей: приём заявок открыт",
         "Программа ежегодно финансирует исследования в области евроатлантической "
         "безопасности.",
         "Заявки принимаются до 30 июня."),
        ("Ж/д коридор свяжет Польшу и страны Балтии",
         "Проект позволит перевозить танки и боеприпасы без перегрузки до эстонской границы.",
         "Первые участки откроются в следующем году."),
        ("Ветераны почтили память погибших",
         "На церемонии у мемориала собрались ветераны, военнослужащие и школьники.",
         "Школьники прочитали письма солдат, погибших в 1944 году."),
        ("Ёмкость складов боеприпасов увеличат вдвое",
         "Правительство утвердило программу строительства новых складов.",
         "Первые объекты будут сданы через два года."),
    ],
    "zh": [
        ("北约国防部长在布鲁塞尔举行会议",
         "盟国国防部长周三和周四在总部开会，评估军事能力和弹药生产情况。",
         "会议预计将发表关于国防工业基础的联合声明。"),
        ("“北方之盾”演习海上阶段结束",
         "来自十四个国家的四十艘舰艇经过十天演练，海上阶段于周四结束。",
         "各舰船员演练了护航和反潜作战。"),
        ("塔林新建网络防御快速反应中心",
         "该中心可在四十八小时内向遭受重大网络攻击的盟国派遣专家组。",
         "中心借鉴了欧洲电网遭受攻击的经验。"),
        ("北约与印太伙伴加强海上安全对话",
         "澳大利亚、日本、新西兰和韩国代表出席了关于航行自由的会议。",
         "与会者强调海底电缆对全球经济的重要性。"),
        ("波罗的海空中警务：四架战斗机抵达立陶宛",
         "四架战斗机和约一百名官兵自周一起负责波罗的海国家的空中警务。",
         "分遣队将在希奥利艾空军基地驻扎四个月。"),
        ("黑海沿岸盟国协调扫雷行动",
         "罗马尼亚、保加利亚和土耳其启动联合行动，清除漂雷。",
         "三艘猎雷舰和潜水员参加了行动。"),
        ("乌克兰：新一批非致命援助获批",
         "援助基金将用于购买燃料、作战口粮和排雷设备。",
         "物资将在本季度结束前开始交付。"),
        ("潜艇救援演习在苏格兰附近海域举行",
         "来自十二个国家的团队模拟营救被困在百米深处的潜艇艇员。",
         "一艘保障船和两艘救援艇参加了演习。"),
        ("太空监视中心在拉姆施泰因成立",
         "该中心将跟踪威胁盟国太空资产的卫星和碎片。",
         "中心将于2025年全面投入运行。"),
        ("应对虚假信息：面向编辑部的实用指南",
         "指南帮助记者识别社交媒体上的协同宣传活动和虚假账号。",
         "指南提供十五种语言版本。"),
        ("北极问题列入理事会议程",
         "大使们讨论了北极地区军事活动增加及其对安全的影响。",
         "挪威介绍了新的海上监视计划。"),
        ("青年研究人员奖学金开始申请",
         "该项目每年资助欧洲—大西洋安全领域的研究。",
         "申请截止日期为6月30日。"),
        ("华盛顿峰会五问",
         "日期、与会者和议题：峰会前需要了解的内容。",
         "各国领导人预计将通过一份关于威慑与防御的宣言。"),
        ("退伍军人出席纪念仪式",
         "纪念仪式在海滩举行，最后一批老兵和七国士兵出席。",
         "学生们朗读了阵亡士兵写下的信件。"),
    ],
    "ja": [
        ("同盟国の国防相がブリュッセルで会合",
         "同盟国の国防相は水曜日と木曜日に本部で会合を開き、防衛力と弾薬の生産状況を確認する。",
         "防衛産業基盤に関する共同声明が発表される見通しだ。"),
        ("演習「北の盾」、海上段階が終了",
         "十四か国の艦艇四十隻が参加した十日間の演習の海上段階が木曜日に終わった。",
         "乗組員は船団護衛と対潜水艦戦を訓練した。"),
        ("タリンにサイバー防衛の即応センターが開所",
         "センターは大規模なサイバー攻撃を受けた同盟国に四十八時間以内に専門家を派遣できる。",
         "欧州の電力網への攻撃から得た教訓を生かしている。"),
        ("インド太平洋のパートナーと海洋安全保障の対話を強化",
         "オーストラリア、日本、ニュージーランド、韓国の代表が航行の自由に関する会合に参加した。",
         "参加者は海底ケーブルが世界経済に果たす役割の大きさを強調した。"),
        ("軍事委員会委員長が東京を訪問",
         "軍事委員会委員長は東京で統合幕僚長と会談した。",
         "双方は宇宙の安全保障と情報共有について意見を交わした。"),
        ("バルト三国の領空警備に戦闘機四機",
         "戦闘機四機と隊員約百人が月曜日からバルト三国の領空警備に当たっている。",
         "部隊はシャウレイ空軍基地に四か月間駐留する。"),
        ("黒海沿岸の同盟国が機雷除去で連携",
         "ルーマニア、ブルガリア、トルコが漂流機雷を除去する共同任務を始めた。",
         "掃海艇三隻と潜水員が参加している。"),
        ("潜水艦救難訓練をスコットランド沖で実施",
         "十二か国のチームが、水深百メートルで動けなくなった潜水艦の乗員救出を想定して訓練した。",
         "支援船一隻と救難艇二隻が参加した。"),
        ("宇宙監視センターをラムシュタインに設置",
         "センターは同盟国の宇宙資産を脅かす衛星や宇宙ごみを追跡する。",
         "二〇二五年に本格運用を始める。"),
        ("偽情報対策、報道機関向けの手引きを公表",
         "手引きはソーシャルメディア上の組織的な工作や偽アカウントを見分ける方法をまとめた。",
         "十五の言語で公開されている。"),
        ("北極圏の安全保障を理事会で協議",
         "大使らは北極圏で増える軍事活動と安全保障への影響について協議した。",
         "ノルウェーは新たな海洋監視計画を説明した。"),
        ("若手研究者向け奨学金の募集を開始",
         "このプログラムは欧州・大西洋地域の安全保障に関する研究を毎年支援している。",
         "応募は六月三十日まで受け付ける。"),
        ("ワシントン首脳会議、五つの疑問",
         "日程、参加者、議題など、首脳会議の前に知っておきたいことをまとめた。",
         "首脳らは抑止と防衛に関する宣言を採択する見通しだ。"),
        ("退役軍人をたたえる記念式典",
         "式典には最後の退役軍人と七か国の兵士が参列した。",
         "生徒たちは戦死した兵士の手紙を朗読した。"),
    ],
    "ko": [
        ("동맹국 국방장관들 브뤼셀에서 회의",
         "동맹국 국방장관들이 수요일과 목요일 본부에서 만나 군사 능력과 탄약 생산 현황을 점검한다.",
         "방위산업 기반에 관한 공동성명이 나올 것으로 보인다."),
        ("대한민국 대표단과 군사 참모 회담 열려",
         "대한민국 대표단이 본부를 방문해 군사 협력과 회복력 강화 방안을 논의했다.",
         "양측은 사이버 방어와 상호운용성 문제도 다뤘다."),
        ("‘북방의 방패’ 훈련 해상 단계 종료",
         "십사 개국 함정 사십 척이 참가한 열흘간의 해상 훈련이 목요일 끝났다.",
         "승조원들은 호송과 대잠전을 연습했다."),
        ("탈린에 사이버 방어 신속대응센터 개소",
         "센터는 대규모 사이버 공격을 받은 동맹국에 사십팔 시간 안에 전문가를 보낼 수 있다.",
         "유럽 전력망 공격에서 얻은 교훈을 바탕으로 했다."),
        ("인도태평양 파트너들과 해양안보 대화 강화",
         "호주, 일본, 뉴질랜드, 대한민국 대표가 항행의 자유에 관한 회의에 참석했다.",
         "참석자들은 해저 케이블의 중요성을 강조했다."),
        ("발트 3국 영공 경계에 전투기 4대 배치",
         "전투기 4대와 장병 약 100명이 월요일부터 발트 3국 영공 경계 임무를 맡았다.",
         "분견대는 샤울랴이 공군기지에 넉 달 동안 머문다."),
        ("흑해 연안 동맹국 기뢰 제거 공조",
         "루마니아, 불가리아, 튀르키예가 표류 기뢰를 제거하는 공동 임무를 시작했다.",
         "소해함 세 척과 잠수 요원이 참가했다."),
        ("스코틀랜드 앞바다에서 잠수함 구조 훈련",
         "십이 개국 팀이 수심 백 미터에 갇힌 잠수함 승조원 구조를 가정해 훈련했다.",
         "지원함 한 척과 구조정 두 척이 참가했다."),
        ("람슈타인에 우주 감시 센터 설립",
         "센터는 동맹국 우주 자산을 위협하는 위성과 우주 쓰레기를 추적한다.",
         "2025년에 완전 가동에 들어간다."),
        ("허위정보 대응 보도 지침서 발간",
         "지침서는 소셜미디어의 조직적 선전과 가짜 계정을 가려내는 방법을 담았다.",
         "열다섯 개 언어로 제공된다."),
        ("젊은 연구자 장학금 신청 접수 시작",
         "이 프로그램은 해마다 유럽·대서양 안보 연구를 지원한다.",
         "신청은 6월 30일까지 받는다."),
        ("워싱턴 정상회의 다섯 가지 질문",
         "일정, 참석자, 의제 등 정상회의 전에 알아야 할 내용을 정리했다.",
         "정상들은 억제와 방위에 관한 선언을 채택할 예정이다."),
    ],
}

# What a forum or a comment thread says: short replies, written in each tone of voice.
REPLIES: dict[str, list[str]] = {
    "fr": [
        "Merci pour ce résumé très clair, j’attendais justement des précisions sur le "
        "calendrier.",
        "Quelqu’un sait si la version intégrale du communiqué est disponible en français ?",
        "Je ne suis pas d’accord avec l’analyse : les délais annoncés me paraissent "
        "irréalistes.",
        "Source ? J’ai lu un chiffre différent dans la presse ce matin.",
        "Très bon article, mais il manque une carte pour situer les bases concernées.",
        "On en parlait déjà l’an dernier sur ce forum, rien n’a vraiment changé depuis.",
        "Petite coquille dans le deuxième paragraphe : c’est « quatorze pays », pas quinze.",
        "Excellente nouvelle pour la région, espérons que le financement suivra.",
        "La vidéo de la conférence de presse est en ligne sur le site du ministère.",
        "Question naïve : qui paie l’entretien des équipements une fois livrés ?",
        "Je confirme, j’étais sur place, l’ambiance était très studieuse.",
        "Bravo à la rédaction pour la réactivité !",
        "Ça rejoint ce que disait l’intervenant au colloque de mars.",
        "Le lien vers le rapport ne fonctionne plus, pouvez-vous le corriger ?",
        "À suivre de près, les annonces de ce genre sont souvent revues à la baisse.",
        "Je relance : a-t-on une date pour la publication des conclusions ?",
    ],
    "en": [
        "Thanks for the clear summary, I was waiting for details on the timeline.",
        "Does anyone know whether the full statement has been published yet?",
        "I’m not convinced: the announced delays look unrealistic to me.",
        "Source? I read a different figure in the press this morning.",
        "Great piece, but a map of the bases involved would help.",
        "We discussed this on the forum last year and not much has changed.",
        "Small typo in the second paragraph: it’s “fourteen nations”, not fifteen.",
        "Excellent news for the region, let’s hope the funding follows.",
        "The press conference video is up on the ministry’s website.",
        "Naive question: who pays for maintenance once the kit is delivered?",
        "I can confirm, I was there and the mood was very businesslike.",
        "Well done to the newsroom for the quick turnaround!",
        "This matches what the panel said at the March conference.",
        "The link to the report is broken, could you fix it?",
        "Worth watching closely, announcements like this often get scaled back.",
        "Bumping this: do we have a date for the final report?",
    ],
}

NAMES = ("Claire M.", "Julien", "Sophie Lefèvre", "Marc-André", "Nadia B.", "Thomas",
         "Élodie R.", "Karim", "Hélène", "Pierre D.", "Ines", "Yann", "Camille", "Luc")

#!/usr/bin/env python3
# Vendored copy. Origin: the project's steering repository, file
# shared/bench/gen_corpus.py (no version control there; copied 2026-11-30,
# sha256 1b8dbe25b8681172827daad817fb804e82f6efce67b3874d08d9a73932ca1e2e),
# written for syndic's benchmarks and tests; same licence as this repository
# (MIT OR Apache-2.0). Unchanged below this header: fix it here, not upstream.
"""Deterministic corpus generator: French-language Moroccan news articles.

Writes N article records as JSON Lines in the format of
shared/article-format.md, optionally also as a Hugo content tree and as
plain markdown files. Standard library only; the same --n/--seed/--now
always give byte-identical output (no dependence on hash seeds, the
local time zone or the system tz database).

  gen_corpus.py --n 100000 --seed 1 --now 2026-11-29T12:00:00Z --out corpus.jsonl
  gen_corpus.py --n 10000 --seed 1 --now 2026-11-29T12:00:00Z --out c10k.jsonl \
                --hugo-dir hugo-content-10k [--md-dir md-10k]

Shape of the data (defaults):
  * sections: Maroc, Monde, Économie, Sport, Société, MRE, Culture, ... (weighted)
  * tags: 2-8 per article, Zipf-like (s=1) over a vocabulary of max(40, N/50)
    tags; the head is fixed (Maroc, Terrorisme, Mohammed VI, Casablanca,
    Espagne, ..., États-Unis, Nasser Bourita), the tail is generated names,
    events and clubs; each section also pulls its own favourite tags.
  * 1-2 short bylines ("S.A"), summary of 1-2 sentences, content_html of
    3-8 paragraphs (about 2-4 KB), lead image on ~70 %.
  * published_at over the last max(2, N/100) days, daytime-weighted, with the
    Africa/Casablanca offset of that instant (+01:00, +00:00 during Ramadan);
    ~3 % in the last 48 h; updated_at on ~10 %; ~2 % drafts; ~0.5 % embargoed
    (published_at in the future).
"""
import argparse
import bisect
import json
import math
import os
import random
import re
import sys
import unicodedata
from datetime import datetime, timezone

# --------------------------------------------------------------------------
# Africa/Casablanca UTC offsets (from tzdata 2024+; embedded so the output
# does not depend on the machine).  Each entry: UTC instant YYYYMMDDHH at
# which the offset becomes +01:00 ('+') or +00:00 ('-').  Before 2008: +00:00.
_CASA = """
2008060100+ 2008083123- 2009060100+ 2009082023- 2010050200+ 2010080723- 2011040300+ 2011073023-
2012042902+ 2012072002- 2012082002+ 2012093002- 2013042802+ 2013070702- 2013081002+ 2013102702-
2014033002+ 2014062802- 2014080202+ 2014102602- 2015032902+ 2015061402- 2015071902+ 2015102502-
2016032702+ 2016060502- 2016071002+ 2016103002- 2017032602+ 2017052102- 2017070202+ 2017102902-
2018032502+ 2018051302- 2018061702+ 2019050502- 2019060902+ 2020041902- 2020053102+ 2021041102-
2021051602+ 2022032702- 2022050802+ 2023031902- 2023042302+ 2024031002- 2024041402+ 2025022302-
2025040602+ 2026021502- 2026032202+ 2027020702- 2027031402+ 2028012302- 2028030502+ 2029011402-
2029021802+ 2029123002- 2030021002+ 2030122202- 2031012602+ 2031121402- 2032011802+ 2032112802-
2033010902+ 2033112002- 2033122502+ 2034110502- 2034121702+ 2035102802- 2035120902+ 2036101902-
2036112302+ 2037100402- 2037111502+
"""
_CASA_T = []
_CASA_O = []
for _tok in _CASA.split():
    _d = datetime(int(_tok[0:4]), int(_tok[4:6]), int(_tok[6:8]), int(_tok[8:10]),
                  tzinfo=timezone.utc)
    _CASA_T.append(int(_d.timestamp()))
    _CASA_O.append(3600 if _tok[10] == "+" else 0)


def casa_offset(ts):
    i = bisect.bisect_right(_CASA_T, ts) - 1
    return _CASA_O[i] if i >= 0 else 0


def rfc3339_casa(ts):
    off = casa_offset(ts)
    d = datetime.fromtimestamp(ts + off, timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ("+01:00" if off else "+00:00")


def parse_now(s):
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    d = datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return int(d.timestamp())


# --------------------------------------------------------------------------
# Vocabulary.

SECTIONS = [  # (name, weight)
    ("Maroc", 30), ("Monde", 11), ("Économie", 12), ("Sport", 12), ("Société", 10),
    ("MRE", 10), ("Culture", 6), ("Insolite", 3), ("Santé", 3), ("Tourisme", 3),
]

# Head of the tag vocabulary, in popularity order. Type letters:
# P person, V Moroccan city, K country/region, O organisation/club, T topic.
HEAD_TAGS = [
    ("Maroc", "K"), ("Terrorisme", "T"), ("Mohammed VI", "P"), ("Casablanca", "V"),
    ("Espagne", "K"), ("France", "K"), ("MRE", "T"), ("Rabat", "V"), ("Algérie", "K"),
    ("Marrakech", "V"), ("Tanger", "V"), ("États-Unis", "K"), ("Sahara", "T"),
    ("Football", "T"), ("Immigration", "T"), ("Nasser Bourita", "P"), ("Justice", "T"),
    ("Police", "T"), ("Agadir", "V"), ("Fès", "V"), ("Lions de l’Atlas", "O"),
    ("Aziz Akhannouch", "P"), ("Tourisme", "T"), ("Ramadan", "T"),
    ("Coupe du monde 2030", "T"), ("Belgique", "K"), ("Pays-Bas", "K"), ("Italie", "K"),
    ("Israël", "K"), ("Iran", "K"), ("Palestine", "K"), ("Mauritanie", "K"),
    ("Union européenne", "O"), ("Opération Marhaba", "T"), ("Meknès", "V"),
    ("Oujda", "V"), ("Tétouan", "V"), ("Nador", "V"), ("Laâyoune", "V"), ("Dakhla", "V"),
    ("Santé", "T"), ("Éducation", "T"), ("Sécheresse", "T"), ("Séisme d’Al Haouz", "T"),
    ("Royal Air Maroc", "O"), ("ONCF", "O"), ("Walid Regragui", "P"),
    ("Achraf Hakimi", "P"), ("Hakim Ziyech", "P"), ("Yassine Bounou", "P"),
    ("Raja de Casablanca", "O"), ("Wydad de Casablanca", "O"), ("Emmanuel Macron", "P"),
    ("Pedro Sánchez", "P"), ("Donald Trump", "P"), ("Abdelmadjid Tebboune", "P"),
    ("Polisario", "O"), ("ONU", "O"), ("CAN 2025", "T"), ("Aïd al-Adha", "T"),
    ("Aïd al-Fitr", "T"), ("Hajj", "T"), ("Inflation", "T"), ("Carburants", "T"),
    ("Immobilier", "T"), ("Bank Al-Maghrib", "O"), ("Dirham", "T"),
    ("Énergies renouvelables", "T"), ("Hydrogène vert", "T"), ("Tanger Med", "O"),
    ("Ceuta", "V"), ("Melilla", "V"), ("Gibraltar", "K"), ("Visa", "T"), ("Schengen", "T"),
    ("Drogue", "T"), ("Cannabis", "T"), ("Corruption", "T"), ("Parlement", "O"),
    ("Moudawana", "T"), ("Droits des femmes", "T"), ("Chômage", "T"),
    ("Enseignement supérieur", "T"), ("Covid-19", "T"), ("Vaccination", "T"),
    ("Islam", "T"), ("Mariage", "T"), ("Héritage", "T"), ("Diaspora", "T"),
    ("Canada", "K"), ("Allemagne", "K"), ("Qatar", "K"), ("Arabie saoudite", "K"),
    ("Émirats arabes unis", "K"), ("Tunisie", "K"), ("Égypte", "K"), ("Sénégal", "K"),
    ("Chine", "K"), ("Russie", "K"), ("Royaume-Uni", "K"), ("Côte d’Ivoire", "K"),
    ("Fouzi Lekjaa", "P"), ("Abdellatif Hammouchi", "P"), ("Abdelouafi Laftit", "P"),
    ("Abdelilah Benkirane", "P"), ("Nizar Baraka", "P"), ("Abdellatif Ouahbi", "P"),
    ("Nadia Fettah", "P"), ("Leila Benali", "P"), ("Chefchaouen", "V"),
    ("Essaouira", "V"), ("Ouarzazate", "V"), ("Ifrane", "V"), ("El Jadida", "V"),
    ("Kénitra", "V"), ("Salé", "V"), ("Béni Mellal", "V"), ("Taroudant", "V"),
    ("Al Hoceïma", "V"), ("Safi", "V"), ("Errachidia", "V"), ("Guelmim", "V"),
    ("DGSN", "O"), ("DGST", "O"), ("BCIJ", "O"), ("Gendarmerie royale", "O"),
    ("FRMF", "O"), ("CAF", "O"), ("FIFA", "O"), ("OCP", "O"), ("ONMT", "O"),
    ("Marocains du monde", "T"), ("Transferts d’argent", "T"), ("Permis de conduire", "T"),
    ("Passeport", "T"), ("Consulat", "T"), ("Naturalisation", "T"), ("Racisme", "T"),
    ("Islamophobie", "T"), ("Voile", "T"), ("Mosquées", "T"), ("Agriculture", "T"),
    ("Eau", "T"), ("Barrages", "T"), ("Autoroutes", "T"), ("TGV Al Boraq", "T"),
    ("Aéroports", "T"), ("Prix", "T"), ("Impôts", "T"), ("Douane", "T"),
    ("Festival Mawazine", "T"), ("Gnaoua", "T"), ("Cinéma", "T"), ("Musique", "T"),
    ("Littérature", "T"), ("Patrimoine", "T"), ("Gastronomie", "T"), ("Météo", "T"),
    ("Accidents de la route", "T"), ("Incendies", "T"), ("Séisme", "T"),
    ("Cybercriminalité", "T"), ("Fraude", "T"), ("Escroquerie", "T"),
]

FIRST = ["Mohamed", "Ahmed", "Youssef", "Karim", "Rachid", "Hassan", "Omar", "Saïd",
         "Khalid", "Mustapha", "Abdelkader", "Fatima", "Khadija", "Aïcha", "Nadia",
         "Samira", "Leïla", "Meryem", "Salma", "Zineb", "Hind", "Imane", "Sanaa",
         "Hicham", "Noureddine", "Driss", "Abdelaziz", "Othmane", "Mehdi", "Amine",
         "Ilyas", "Soufiane", "Ayoub", "Hamza", "Anas", "Badr", "Réda", "Yassine",
         "Loubna", "Houda", "Ghita", "Kenza", "Jamal", "Brahim", "Najat", "Latifa"]
LAST = ["El Amrani", "Benali", "Bennani", "Alaoui", "Tazi", "Berrada", "Chraïbi",
        "El Idrissi", "Fassi-Fihri", "Benjelloun", "Lahlou", "Sqalli", "Kettani",
        "Bouzidi", "El Khattabi", "Ouazzani", "Zniber", "Lazrak", "Mernissi", "Naciri",
        "El Fassi", "Bouhaddou", "Aït Lahcen", "Ouchen", "Amellal", "Zerouali",
        "Haddaoui", "El Ouafi", "Belhaj", "Moutaouakil", "Ziani", "Regragui",
        "Benabdallah", "Skalli", "Cherkaoui", "Hajji", "Saâdi", "Rahmouni"]
CITIES = ["Casablanca", "Rabat", "Marrakech", "Tanger", "Fès", "Agadir", "Meknès",
          "Oujda", "Tétouan", "Nador", "Laâyoune", "Dakhla", "Kénitra", "Salé",
          "El Jadida", "Safi", "Béni Mellal", "Essaouira", "Ouarzazate", "Ifrane",
          "Chefchaouen", "Taza", "Larache", "Khouribga", "Settat", "Berrechid",
          "Mohammédia", "Taourirt", "Berkane", "Tiznit", "Azrou", "Midelt", "Errachidia",
          "Zagora", "Asilah", "Martil", "Fnideq", "Al Hoceïma", "Guelmim", "Tan-Tan"]
EVENT_KIND = ["Festival", "Salon", "Forum", "Marathon", "Rencontres", "Biennale",
              "Semaine", "Journées", "Nuits", "Printemps"]
EVENT_TOPIC = ["du film", "de la musique", "du livre", "de l’artisanat", "de l’agriculture",
               "de l’investissement", "du numérique", "de la mode", "de la gastronomie",
               "des arts", "du théâtre", "de la poésie", "du jazz", "de l’étudiant"]
CLUB_PREFIX = ["Raja", "Wydad", "FUS", "Hassania", "Moghreb", "Ittihad", "Difaâ",
               "Olympique", "Chabab", "Renaissance", "Kawkab", "Mouloudia"]
WORLD_CITIES = ["Paris", "Madrid", "Bruxelles", "Washington", "Genève", "Dubaï",
                "Doha", "Lyon", "Marseille", "Montréal", "Rome", "Berlin", "Amsterdam",
                "Londres", "Barcelone", "Milan", "New York", "Dakar", "Abidjan",
                "Tunis", "Séville", "Anvers", "Turin", "Toulouse", "Nice"]
EU_CITIES = ["Bruxelles", "Anvers", "Rotterdam", "Amsterdam", "Lyon", "Montpellier",
             "Bordeaux", "Turin", "Milan", "Barcelone", "Almería", "Gand", "Liège",
             "Utrecht", "La Haye", "Grenoble", "Saint-Étienne", "Molenbeek"]
LEADERS = ["Emmanuel Macron", "Pedro Sánchez", "Donald Trump", "Giorgia Meloni",
           "Olaf Scholz", "Antonio Guterres", "Recep Tayyip Erdoğan", "Mohammed ben Salmane",
           "Tamim ben Hamad Al Thani", "Bassirou Diomaye Faye", "Mohamed Ould Ghazouani"]
MEDIA = ["Le Matin", "L’Économiste", "Médias24", "Hespress", "TelQuel", "Le360",
         "la MAP", "El País", "Le Figaro", "Le Monde", "l’AFP", "Reuters", "Le Parisien",
         "Jeune Afrique", "El Confidencial", "Het Laatste Nieuws"]
ORGS = ["le ministère de l’Intérieur", "la DGSN", "le parquet", "la Cour des comptes",
        "le Haut-Commissariat au Plan", "Bank Al-Maghrib", "l’ONMT", "la wilaya",
        "le conseil communal", "l’Office des changes", "la Fondation Hassan II",
        "le ministère de la Santé", "l’ANRT", "l’ONSSA", "le CESE", "la CGEM"]
CRIMES = ["trafic de drogue", "faux billets", "cambriolages", "trafic de migrants",
          "contrefaçon", "vols de voitures", "escroquerie en ligne", "trafic de psychotropes",
          "fraude au visa", "trafic de cigarettes"]
INDUSTRIES = ["batteries électriques", "composants aéronautiques", "câblage automobile",
              "textile", "panneaux solaires", "engrais", "pièces détachées",
              "produits pharmaceutiques", "dessalement", "conserves de poisson"]
TOPICS = ["l’eau potable", "les retraites", "la protection sociale", "l’héritage",
          "la grève", "le code pénal", "le logement social", "l’investissement",
          "la santé publique", "la transition énergétique", "l’école publique",
          "la mobilité urbaine", "la sécurité routière", "la fiscalité locale"]
DAYS = tuple(str(d) for d in range(2, 29))
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]
ROUNDS = ["huitièmes de finale", "quarts de finale", "demi-finales", "la finale"]
FILMS = ["Les Meutes", "Everybody Loves Touda", "La Mère de tous les mensonges",
         "Le Bleu du caftan", "Razzia", "Sur la route d’Ouarzazate", "Zanka Contact",
         "Adam", "Casanegra", "Les Chevaux de Dieu", "Haut et fort", "Déserts"]
COUNTRY_FORMS = {  # name: (with article, "in" form)
    "Espagne": ("l’Espagne", "en Espagne"), "France": ("la France", "en France"),
    "Algérie": ("l’Algérie", "en Algérie"), "États-Unis": ("les États-Unis", "aux États-Unis"),
    "Belgique": ("la Belgique", "en Belgique"), "Pays-Bas": ("les Pays-Bas", "aux Pays-Bas"),
    "Italie": ("l’Italie", "en Italie"), "Israël": ("Israël", "en Israël"),
    "Iran": ("l’Iran", "en Iran"), "Palestine": ("la Palestine", "en Palestine"),
    "Mauritanie": ("la Mauritanie", "en Mauritanie"), "Canada": ("le Canada", "au Canada"),
    "Allemagne": ("l’Allemagne", "en Allemagne"), "Qatar": ("le Qatar", "au Qatar"),
    "Arabie saoudite": ("l’Arabie saoudite", "en Arabie saoudite"),
    "Émirats arabes unis": ("les Émirats arabes unis", "aux Émirats arabes unis"),
    "Tunisie": ("la Tunisie", "en Tunisie"), "Égypte": ("l’Égypte", "en Égypte"),
    "Sénégal": ("le Sénégal", "au Sénégal"), "Chine": ("la Chine", "en Chine"),
    "Russie": ("la Russie", "en Russie"), "Royaume-Uni": ("le Royaume-Uni", "au Royaume-Uni"),
    "Côte d’Ivoire": ("la Côte d’Ivoire", "en Côte d’Ivoire"),
}
COUNTRIES = list(COUNTRY_FORMS)
PLAYERS = ["Achraf Hakimi", "Yassine Bounou", "Brahim Díaz", "Sofyan Amrabat",
           "Youssef En-Nesyri", "Azzedine Ounahi", "Noussair Mazraoui", "Bilal El Khannouss",
           "Eliesse Ben Seghir", "Nayef Aguerd", "Abde Ezzalzouli", "Soufiane Rahimi"]
ARTISTS = ["Saad Lamjarred", "Hatim Ammor", "Oum", "Hindi Zahra", "Fnaïre", "Asmaa Lmnawar",
           "Douzi", "Manal", "ElGrande Toto", "Aymane Serhani", "Hoba Hoba Spirit"]
DIRECTORS = ["Nabil Ayouch", "Faouzi Bensaïdi", "Maryam Touzani", "Hicham Lasri",
             "Asmae El Moudir", "Kamal Lazraq", "Leïla Kilani"]
ARABIC = ["دار الخير", "مغرب الغد", "الأمل", "جمعية التضامن", "نور"]

BYLINES = ["S.A", "A.M", "M.K", "Y.B", "H.B", "R.K", "N.E", "F.Z", "K.O", "L.B",
           "I.R", "O.T", "A.Y", "Z.E", "M.B", "T.H", "S.K", "Rédaction", "A.B", "H.E",
           "Y.E", "M.A", "N.B", "S.B", "R.E"]

SECTION_FAVOURITES = {
    "Maroc": ["Maroc", "Mohammed VI", "Casablanca", "Rabat", "Justice", "Police", "Sahara"],
    "Monde": ["États-Unis", "Espagne", "France", "Algérie", "Palestine", "Israël", "ONU"],
    "Économie": ["Inflation", "Bank Al-Maghrib", "Dirham", "Carburants", "Tanger Med",
                 "Énergies renouvelables", "OCP"],
    "Sport": ["Football", "Lions de l’Atlas", "Walid Regragui", "Achraf Hakimi",
              "Coupe du monde 2030", "CAN 2025", "FRMF", "Raja de Casablanca"],
    "Société": ["Justice", "Moudawana", "Droits des femmes", "Éducation", "Ramadan",
                "Accidents de la route", "Mariage"],
    "MRE": ["MRE", "Immigration", "Opération Marhaba", "Belgique", "Pays-Bas",
            "Espagne", "France", "Visa", "Consulat", "Transferts d’argent"],
    "Culture": ["Cinéma", "Musique", "Festival Mawazine", "Gnaoua", "Patrimoine",
                "Littérature"],
    "Insolite": ["Maroc", "Casablanca", "Marrakech", "Police"],
    "Santé": ["Santé", "Covid-19", "Vaccination", "Maroc"],
    "Tourisme": ["Tourisme", "ONMT", "Marrakech", "Agadir", "Royal Air Maroc", "Aéroports"],
}

# Title templates per section.  Slots: {P} person, {V} Moroccan city,
# {K} country, {K2} other country, {N} number, {PCT}, {MONTH}, {YEAR}, etc.
TITLES = {
    "Maroc": [
        "{P} : « {Q} »",
        "{V} : un réseau de {CRIME} démantelé",
        "{V} : la police interpelle {N} suspects après une rixe mortelle",
        "Le Maroc et {LK} signent {N} accords de coopération",
        "Sahara : {LK} réaffirme son soutien au plan d’autonomie",
        "Le roi Mohammed VI adresse un message de félicitations à {LEADER}",
        "Le gouvernement adopte le projet de loi sur {TOPIC}",
        "{V} : l’hôpital régional fait peau neuve",
        "Intempéries : alerte orange dans plusieurs provinces du Maroc",
        "Le Maroc, premier pays africain d’un classement publié par {MEDIA}",
        "{V} : les habitants dénoncent les coupures d’eau à répétition",
        "Terrorisme : le BCIJ démantèle une cellule liée à Daech à {V}",
        "Nouvelle hausse des prix des carburants au Maroc",
        "{P} nommé wali de la région {DEV}",
        "Les États-Unis et le Maroc font bloc contre l’Iran",
    ],
    "Monde": [
        "{K} : {P} appelle à « {Q} »",
        "Élections {EK} : les résultats attendus dans la soirée",
        "Gaza : l’ONU alerte sur une situation humanitaire « catastrophique »",
        "{LKc} et le Maroc font bloc contre {LK2}",
        "Sommet de {WCITY} : ce qu’il faut retenir",
        "{LEADER} en visite officielle {EK}",
        "{K} : la crise diplomatique avec {LK2} s’aggrave",
        "Migrants : {LK} durcit sa politique d’asile",
        "{K} : le Maroc rapatrie {N} ressortissants bloqués",
    ],
    "Économie": [
        "Inflation : le taux atteint {PCT} % en {MONTH}",
        "Bank Al-Maghrib maintient son taux directeur à {RATE} %",
        "{V} : une usine de {IND} va créer {N00} emplois",
        "Exportations : le secteur de l’automobile en hausse de {PCT} %",
        "Le dirham s’apprécie face à l’euro",
        "Royal Air Maroc ouvre une nouvelle ligne vers {WCITY}",
        "Transferts des MRE : un nouveau record de {N} milliards de dirhams",
        "Immobilier : les prix reculent de {PCT} % à {V}",
        "Fusions & acquisitions : {N} opérations au premier semestre",
        "Tanger Med dépasse les {N} millions de conteneurs",
    ],
    "Sport": [
        "Lions de l’Atlas : {PLAYER} convoqué pour le prochain rassemblement",
        "Botola : {CLUB_LE} s’impose face {CLUB2_AU} ({SCORE})",
        "Mondial 2030 : {V} retenue pour accueillir des matchs",
        "{PLAYER} élu meilleur joueur africain de l’année ?",
        "CAN 2025 : les Lions de l’Atlas qualifiés pour les {ROUND}",
        "Walid Regragui : « Nous jouons pour gagner »",
        "Achraf Hakimi, l’homme du match contre {LK}",
        "Marathon {DEV} : {RUNNER} s’impose en {TIME}",
    ],
    "Société": [
        "{V} : un enfant de {AGE} ans sauvé in extremis",
        "Mariage des mineures : {P} tire la sonnette d’alarme",
        "Réforme de la Moudawana : ce qui va changer pour les femmes",
        "Bac {YEAR} : le taux de réussite atteint {PCT} %",
        "Ramadan : les horaires de travail aménagés dans l’administration",
        "{V} : la grève des enseignants se poursuit",
        "Accidents de la route : {N} morts en une semaine",
        "« {AR} » : une association d’entraide qui fait parler d’elle à {V}",
    ],
    "MRE": [
        "Opération Marhaba {YEAR} : {N00} MRE déjà rentrés au Maroc",
        "{K} : un Marocain condamné à {N} ans de prison",
        "MRE : les nouvelles règles pour le permis de conduire",
        "{K} : la communauté marocaine se mobilise pour les sinistrés",
        "Visa Schengen : les refus en hausse pour les Marocains",
        "Un Marocain élu maire de {EUCITY}",
        "{EUCITY} : une Marocaine victime d’une agression raciste",
        "MRE : l’immatriculation des voitures étrangères en question",
    ],
    "Culture": [
        "{EVENT} : la programmation dévoilée",
        "Le film « {FILM} » primé à {WCITY}",
        "{ARTIST} en concert à {V} le {DAY} {MONTH}",
        "Patrimoine : la médina {DEV} fait peau neuve",
        "« {FILM} », le nouveau film de {DIRECTOR}, bientôt dans les salles",
    ],
    "Insolite": [
        "{V} : un âne élu mascotte du quartier",
        "Il retrouve son portefeuille perdu {N} ans plus tard à {V}",
        "{V} : un mariage pas comme les autres 😮",
        "Un cigogneau sauvé par les pompiers {DEV}",
    ],
    "Santé": [
        "Grippe saisonnière : {ORG} appelle à la vaccination",
        "{V} : un nouveau CHU ouvrira en {YEAR}",
        "Pénurie de médicaments : les pharmaciens {DEV} s’inquiètent",
        "Santé : {N} nouveaux centres de dialyse d’ici {YEAR}",
    ],
    "Tourisme": [
        "Tourisme : {V} attire {PCT} % de visiteurs en plus",
        "Royal Air Maroc : des vols directs entre {V} et {WCITY}",
        "L’ONMT lance une campagne de promotion {EK}",
        "{V} parmi les destinations à visiter selon {MEDIA}",
    ],
}

QUOTES = ["Le Maroc est un partenaire stratégique", "nous ne lâcherons rien",
          "la priorité reste l’emploi des jeunes", "il faut un dialogue sincère",
          "la situation est sous contrôle", "c’est une victoire pour tout le pays",
          "nous attendons des actes, pas des paroles", "l’eau est notre défi majeur",
          "les MRE sont une richesse pour le pays", "la justice doit passer"]

SUMMARY_S = [
    "{ORG} a annoncé {DAYWORD} {ANN}.",
    "Selon {MEDIA}, {P} a indiqué que « {Q} ».",
    "Les faits se sont produits {DAYWORD} à {V}, où {N} personnes ont été interpellées.",
    "La décision, attendue depuis des mois, concerne près de {N00} personnes.",
    "Une enquête a été ouverte sous la supervision du parquet compétent.",
    "Le projet, d’un coût de {N} millions de dirhams, devrait être livré en {YEAR}.",
    "{P} a réagi sur les réseaux sociaux, saluant « une étape importante ».",
    "Les autorités {DEV} ont pris des mesures exceptionnelles.",
    "Le Maroc et {LK} ont évoqué, {DAYWORD} à {WCITY}, le « renforcement de leur coopération ».",
    "Le texte, adopté en conseil de gouvernement, entrera en vigueur dès sa publication au Bulletin officiel.",
    "Les détails ont été dévoilés lors d’une conférence de presse à {V}.",
]

BODY_S = [
    "D’après les informations recueillies par {MEDIA}, l’affaire remonte à {MONTH} dernier.",
    "{ORG} a précisé dans un communiqué que « toutes les mesures nécessaires ont été prises ».",
    "Les services de la <strong>{ORGSHORT}</strong> ont ouvert une enquête pour déterminer les circonstances exactes.",
    "Le montant total est estimé à {N} millions de dirhams, soit une hausse de {PCT} % sur un an.",
    "À {V}, les habitants se disent « soulagés » mais restent vigilants.",
    "{P}, qui s’exprimait en marge d’une conférence à {WCITY}, a rappelé l’importance du partenariat avec {LK}.",
    "Cette initiative s’inscrit dans le cadre des Hautes orientations royales.",
    "Les suspects, âgés de {AGE} à {AGE2} ans, ont été placés en garde à vue.",
    "Selon les derniers chiffres du Haut-Commissariat au Plan, le taux de chômage s’établit à {PCT} %.",
    "Il s’agit de la {ORD} opération de ce type depuis le début de l’année.",
    "« Nous sommes déterminés à aller jusqu’au bout », a déclaré {P}, cité par {MEDIA}.",
    "Le texte doit encore être examiné par la Chambre des conseillers avant son entrée en vigueur.",
    "Les Marocains résidant à l’étranger sont particulièrement concernés par cette mesure.",
    "Plusieurs associations ont dénoncé une décision « prise sans concertation ».",
    "La prochaine étape est prévue pour le {DAY} {MONTH} {YEAR}, a-t-on appris de source officielle.",
    "Le chantier, lancé en {YEAR0}, devait initialement s’achever l’an dernier.",
    "Pour en savoir plus, lire aussi <a href=\"{LINK}\">notre article précédent</a>.",
    "L’opposition a vivement critiqué ce choix, jugé <em>« incohérent »</em> par plusieurs élus.",
    "À l’échelle nationale, près de {N00} dossiers ont été traités l’an dernier.",
    "Les autorités locales {DEV} ont mobilisé d’importants moyens humains et logistiques.",
    "Côté {K}, on se félicite d’une relation « exemplaire » avec Rabat.",
    "Les experts interrogés estiment que l’impact se fera sentir dès le prochain trimestre.",
    "Les prix ont grimpé de {PCT} % en {MONTH}, selon l’Office des changes & le HCP.",
    "Un dispositif spécial a été mis en place à l’aéroport Mohammed V et au port de Tanger Med.",
    "Le ministère n’a pas souhaité commenter l’information dans l’immédiat.",
    "Contacté par nos soins, un responsable local a confirmé l’information sous couvert d’anonymat.",
    "Les premières conclusions de l’enquête devraient être rendues publiques d’ici la fin du mois.",
    "Sur les réseaux sociaux, la vidéo de l’incident a été partagée des milliers de fois.",
    "La mesure concerne aussi bien les résidents que les Marocains établis {EK}.",
    "{P2} a pour sa part appelé à « ne pas céder à la panique ».",
    "Le bilan provisoire fait état de {N} blessés, dont plusieurs dans un état jugé sérieux.",
    "Les transactions ont atteint {N} milliards de dirhams à fin {MONTH}, d’après {ORG}.",
    "Ce n’est pas la première fois que la ville de {V} fait parler d’elle pour ce type d’affaire.",
    "Le wali de la région a présidé une réunion de crise en présence des élus locaux.",
    "Selon une source proche du dossier, les négociations avec {LK} avancent « dans le bon sens ».",
    "Les familles des victimes réclament toute la lumière sur cette affaire.",
    "Les professionnels du secteur redoutent une saison « difficile », faute de visibilité.",
    "Une cellule d’écoute a été mise en place pour accompagner les personnes concernées.",
    "Le tribunal de première instance {DEV} rendra son verdict le {DAY} {MONTH}.",
    "La Fédération royale marocaine de football a salué « une performance historique ».",
    "Les tarifs devraient rester stables jusqu’à la fin de l’année, assure {ORG}.",
    "Plus de {N00} visiteurs sont attendus pour cette nouvelle édition.",
    "Les travaux de mise à niveau de la médina {DEV} devraient durer {N} mois.",
    "En {YEAR0}, un dossier similaire avait déjà défrayé la chronique à {V}.",
    "Le consulat général du Maroc à {EUCITY} suit l’affaire de près.",
    "Les agriculteurs de la région attendent toujours les aides promises après la sécheresse.",
    "Le dispositif sera généralisé à l’ensemble des régions du Royaume d’ici {YEAR}.",
    "Un appel d’offres international a été lancé pour la réalisation du projet.",
    "La Banque mondiale table sur une croissance de {PCT} % cette année.",
    "Les associations de défense des droits humains appellent à la libération des militants.",
    "L’information a été confirmée par le porte-parole du gouvernement à l’issue du conseil.",
]

PLAIN_S = [t for t in BODY_S if "<" not in t]

# --------------------------------------------------------------------------
# Word-level prose.  The template sentences above alone repeat across
# articles, so a feed of 50 items gzips to ~10 % of its size, where real
# French news copy gzips to ~30-40 %.  Most body sentences are therefore
# built from a small grammar over the lexicon below (nouns with gender,
# agreeing adjectives, transitive verbs), which gives realistic
# compressibility while staying readable-looking French.

# nouns: "word:g" with g = m | f; plural made with +s unless given as word|plural
NOUNS_M = """projet programme gouvernement ministère secteur marché budget investissement
chantier rapport dossier bilan accord partenariat dispositif plan texte décret
débat conseil comité tribunal parquet juge avocat responsable élu maire wali
gouverneur président ministre député syndicat patronat opérateur fournisseur
exportateur importateur agriculteur pêcheur commerçant artisan chauffeur médecin
infirmier enseignant étudiant élève chercheur expert analyste observateur
citoyen habitant quartier village douar centre hôpital dispensaire lycée collège
campus stade aéroport port réseau tronçon barrage réservoir puits forage
quai terminal entrepôt site chiffre taux indice prix coût loyer salaire revenu
déficit excédent emprunt crédit financement soutien appui calendrier délai
retard objectif enjeu défi risque danger phénomène incident accident drame
incendie séisme orage épisode hiver été printemps automne mois trimestre
semestre exercice scrutin vote recensement sondage témoignage communiqué
entretien discours message appel avertissement verdict procès jugement
recours pourvoi mandat poste concours examen diplôme stage emploi chômage
tourisme transport logement foncier littoral patrimoine festival spectacle
concert film roman livre musée public secteur privé produit service contrat
marché appel d’offres véhicule camion autocar train tramway bus trafic
carburant gaz électricité réseau mouvement collectif groupe parti
gouvernorat royaume continent pays territoire espace environnement climat
développement rendement rythme niveau volume stock plafond seuil record""".split()
NOUNS_F = """réforme mesure décision politique stratégie initiative opération enquête
affaire procédure audience plainte instruction peine amende sanction loi
circulaire convention commission direction administration autorité agence
société entreprise banque filière industrie usine unité production récolte
saison campagne pluie sécheresse eau nappe ressource énergie centrale
infrastructure route autoroute ligne gare station voie liaison région province
commune ville médina population famille jeunesse femme communauté diaspora
association fondation fédération équipe sélection compétition rencontre
victoire défaite qualification finale saison carrière formation école
université recherche santé maladie épidémie campagne vaccination clinique
pharmacie économie croissance inflation hausse baisse dépense recette dette
subvention aide allocation pension retraite cotisation taxe facture enveloppe
hausse situation crise tension relation coopération négociation visite
délégation réunion session séance conférence déclaration annonce information
presse opinion majorité opposition coalition élection candidature liste
frontière migration mobilité sécurité surveillance police gendarmerie
douane brigade cellule saisie cargaison marchandise drogue arme voiture
moto plateforme application technologie innovation transition
digitalisation couverture protection assurance demande offre capacité
priorité étape phase période semaine journée année édition cérémonie
exposition culture langue tradition identité mémoire histoire""".split()
ADJ = [  # masculine:feminine (feminine '' = masculine + 'e')
    "important:", "nouveau:nouvelle", "national:", "régional:", "local:", "public:publique",
    "social:", "économique:économique", "politique:politique", "judiciaire:judiciaire",
    "administratif:administrative", "financier:financière", "agricole:agricole",
    "industriel:industrielle", "touristique:touristique", "culturel:culturelle",
    "sportif:sportive", "sanitaire:sanitaire", "hydrique:hydrique", "énergétique:énergétique",
    "numérique:numérique", "international:", "européen:européenne", "africain:", "marocain:",
    "espagnol:", "français:française", "algérien:algérienne", "officiel:officielle",
    "provisoire:provisoire", "définitif:définitive", "exceptionnel:exceptionnelle",
    "inédit:", "historique:historique", "majeur:majeure", "considérable:considérable",
    "significatif:significative", "modeste:modeste", "limité:", "large:large",
    "ambitieux:ambitieuse", "prudent:", "vigilant:", "inquiet:inquiète", "serein:",
    "lourd:", "léger:légère", "rapide:rapide", "lent:", "progressif:progressive",
    "durable:durable", "stratégique:stratégique", "prioritaire:prioritaire",
    "controversé:", "attendu:", "annoncé:", "prévu:", "contesté:", "approuvé:", "suspendu:",
    "ouvert:", "fermé:", "urbain:", "rural:", "côtier:côtière", "frontalier:frontalière",
    "saharien:saharienne", "méditerranéen:méditerranéenne", "atlantique:atlantique",
    "annuel:annuelle", "mensuel:mensuelle", "hebdomadaire:hebdomadaire", "global:",
    "partiel:partielle", "complet:complète", "premier:première", "dernier:dernière",
    "prochain:prochaine", "ancien:ancienne", "jeune:jeune", "grand:", "petit:",
]
VERBS_T = """a annoncé|a lancé|a dévoilé|a présenté|a validé|a adopté|a signé|a reporté|
a suspendu|a confirmé|a démenti|a dénoncé|a salué|a critiqué|a examiné|a approuvé|
a rejeté|a prolongé|a renforcé|a réduit|a relevé|a financé|a accompagné|a mobilisé|
a inauguré|a visité|a présidé|a rencontré|a reçu|a interpellé|a saisi|a condamné|
a acquitté|a entendu|a sollicité|a alerté|a rassuré|a interrogé|a ouvert|a fermé|
a perturbé|a freiné|a stimulé|a soutenu|a encadré|a simplifié|a modernisé|
prévoit|prépare|examine|étudie|envisage|redoute|attend|réclame|exige|propose|
souligne|rappelle|salue|dénonce|conteste|soutient|finance|pilote|supervise|
coordonne|concerne|touche|vise|cible|renforce|fragilise|menace|accélère|
freine|modifie|remplace|prolonge|complète|relance|suit|accompagne|mobilise|
devrait renforcer|devrait permettre|pourrait modifier|pourrait relancer|
va accélérer|va financer|va concerner|doit encadrer|doit remplacer|entend soutenir""".replace("\n", "").split("|")
ADV = """désormais|notamment|également|toutefois|cependant|néanmoins|par ailleurs|
en outre|de son côté|pour sa part|dans la foulée|à terme|en parallèle|d’ores et déjà|
selon toute vraisemblance|de manière progressive|sans surprise|à nouveau|
pour l’heure|dans l’immédiat|d’ici la fin de l’année|au cours des prochains mois|
depuis plusieurs semaines|en fin de journée|lors de la dernière session""".replace("\n", "").split("|")
PREPS = ["dans", "pour", "avec", "sur", "depuis", "après", "avant", "malgré", "selon",
         "auprès de", "en faveur de", "au profit de", "à l’issue de", "en raison de",
         "dans le cadre de", "au sein de", "à travers", "face à", "contre", "vers"]

H2 = ["Une affaire qui ne date pas d’hier", "Des réactions en chaîne", "Et maintenant ?",
      "Ce que dit la loi", "Les chiffres clés", "Un enjeu diplomatique", "L’avis des experts",
      "Sur le terrain", "Un précédent"]

DAYWORDS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
            "ce week-end", "hier"]
ANNOUNCEMENTS = ["le lancement d’un nouveau programme d’aide au logement",
                 "la suspension provisoire des vols vers {WCITY}",
                 "l’ouverture d’une enquête administrative",
                 "une hausse du salaire minimum dans le secteur privé",
                 "la création de {N} nouveaux postes budgétaires",
                 "un plan d’urgence contre la sécheresse"]
ORGSHORT = ["DGSN", "Gendarmerie royale", "BCIJ", "DGST", "Douane", "Protection civile"]
ORDINALS = ["deuxième", "troisième", "quatrième", "cinquième", "sixième"]

# --------------------------------------------------------------------------
# Slugs (for URLs and tag de-duplication): strip accents, lowercase.

_APOS = str.maketrans({"’": "-", "'": "-", "«": " ", "»": " ", "&": " "})


def slugify(s, max_words=None):
    s = unicodedata.normalize("NFKD", s.translate(_APOS))
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")
    if max_words:
        s = "-".join(s.split("-")[:max_words])
    return s or "article"


def de(name):
    """'de Fès', 'd’Oujda', 'd’El Jadida'."""
    return ("d’" if name[:1] in "AEIOUÉ" else "de ") + name


def club(rng, cons, vow):
    p = rng.choice(CLUB_PREFIX)
    return (vow if p[:1] in "AEIOUÉ" else cons) + p + " " + de(rng.choice(CITIES))


def ucfirst(s):
    return s[:1].upper() + s[1:]


_VOWEL = "aeiouyéèêâîôhAEIOUYÉÈÊÂÎÔH"


def _np(rng, prep=None, plural=None):
    """A determiner + noun (+ adjective) phrase, contracted after de / à."""
    fem = rng.random() < 0.5
    noun = rng.choice(NOUNS_F if fem else NOUNS_M)
    if plural is None:
        plural = rng.random() < 0.25
    adj = None
    if rng.random() < 0.55:
        m, f = rng.choice(ADJ).split(":")
        adj = (f or m + "e") if fem else m
        if plural and not fem and adj.endswith("al"):
            adj = adj[:-2] + "aux"
        elif plural and not adj.endswith(("s", "x")):
            adj += "s"
    if plural and not noun.endswith(("s", "x", "z")) and " " not in noun:
        noun += "s"
    kind = rng.random()
    if plural:
        det = "les" if kind < 0.6 else rng.choice(("des", "ces", "plusieurs", "certains" if not fem else "certaines", "leurs"))
    elif kind < 0.55:
        det = "l’" if noun[0] in _VOWEL else ("la" if fem else "le")
    elif kind < 0.75:
        det = "une" if fem else "un"
    elif kind < 0.88:
        det = ("cette" if fem else ("cet" if noun[0] in _VOWEL else "ce"))
    else:
        det = ("son" if fem and noun[0] in _VOWEL else ("sa" if fem else "son"))
    if prep in ("de", "à"):
        table = {("de", "le"): "du", ("de", "les"): "des", ("à", "le"): "au", ("à", "les"): "aux",
                 ("de", "des"): "de", ("de", "plusieurs"): "de plusieurs"}
        if (prep, det) in table:
            det, prep = table[(prep, det)], None
        elif prep == "de" and det[0] in _VOWEL:
            det, prep = "d’" + det, None
    head = det + noun if det.endswith("’") else det + " " + noun
    np = head + (" " + adj if adj else "")
    return (prep + " " + np) if prep else np


def _pp(rng):
    """A prepositional phrase, with 'de' contracted ('en raison du ...')."""
    p = rng.choice(PREPS)
    if p.endswith(" de"):
        return p[:-3] + " " + _np(rng, "de")
    if p.endswith(" à"):
        return p[:-2] + " " + _np(rng, "à")
    return p + " " + _np(rng)


def prose_sentence(rng):
    def subj():
        return _np(rng, plural=False)  # singular subject: verbs are 3rd person singular
    k = rng.random()
    if k < 0.30:
        t = f"{subj()} {_np(rng, 'de')} {rng.choice(VERBS_T)} {_np(rng)} {_pp(rng)}"
    elif k < 0.50:
        t = f"{rng.choice(ADV)}, {subj()} {rng.choice(VERBS_T)} {_np(rng)} {_np(rng, 'de')}"
    elif k < 0.68:
        t = (f"{subj()} {rng.choice(VERBS_T)} {rng.choice(ADV)} {_np(rng)}, "
             f"{_pp(rng)} {_np(rng, 'de')}")
    elif k < 0.84:
        t = (f"{_pp(rng)}, {subj()} {rng.choice(VERBS_T)} "
             f"{_np(rng)} {_np(rng, 'à')}")
    else:
        t = (f"« {ucfirst(subj())} {rng.choice(VERBS_T)} {_np(rng)} », "
             f"{rng.choice(('explique', 'souligne', 'assure', 'estime', 'affirme', 'note'))} "
             f"{subj()} {_np(rng, 'de')}")
    return ucfirst(t) + "."


def html_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------
# Tag vocabulary of a given size: head first, then a deterministic shuffle of
# generated tail tags (people, events, clubs, laws...).

def build_tag_vocab(size, rng):
    vocab, kinds, seen = [], [], set()

    def add(name, kind):
        sl = slugify(name)
        if sl in seen:
            return
        seen.add(sl)
        vocab.append(name)
        kinds.append(kind)

    for name, kind in HEAD_TAGS:
        add(name, kind)
    tail = []
    for f in FIRST:
        for l in LAST:
            tail.append((f + " " + l, "P"))
    for k in EVENT_KIND:
        for t in EVENT_TOPIC:
            for c in CITIES:
                tail.append((f"{k} {t} {de(c)}", "E"))
    for p in CLUB_PREFIX:
        for c in CITIES:
            tail.append((f"{p} {de(c)}", "O"))
    for l in LAST:
        tail.append(("Affaire " + l, "T"))
    rng.shuffle(tail)
    for name, kind in tail:
        if len(vocab) >= size:
            break
        add(name, kind)
    i = 0
    while len(vocab) < size:  # very large N: compound names, then laws
        f, f2, l = FIRST[i % len(FIRST)], FIRST[(i // len(FIRST)) % len(FIRST)], \
            LAST[(i // (len(FIRST) ** 2)) % len(LAST)]
        if i < len(FIRST) ** 2 * len(LAST):
            add(f"{f2}-{f} {l}" if f != f2 else f"{f} {l} fils", "P")
        else:
            add(f"Loi n° {10 + (i % 90)}.{(i // 90) % 100:02d}-{i}", "T")
        i += 1
    return vocab[:size], kinds[:size]


# --------------------------------------------------------------------------

class Gen:
    def __init__(self, n, seed, now, base_url, id_prefix, variant_rate):
        self.n = n
        self.rng = random.Random(seed)
        self.now = now
        self.base = base_url.rstrip("/")
        self.id_prefix = id_prefix
        self.variant_rate = variant_rate
        self.prose_share = 0.75  # share of body sentences from the word-level grammar
        vsize = max(40, n // 50)
        self.tags, self.tag_kinds = build_tag_vocab(vsize, random.Random(seed * 7919 + 17))
        self.tag_index = {t: i for i, t in enumerate(self.tags)}
        # Zipf-like weights over 0-based ranks r: 1 / (r + 2.5)
        cum, acc = [], 0.0
        for r in range(len(self.tags)):
            acc += 1.0 / (r + 2.5)
            cum.append(acc)
        self.tag_cum = cum
        self.sec_names = [s for s, _ in SECTIONS]
        self.sec_cum = []
        acc = 0
        for _, w in SECTIONS:
            acc += w
            self.sec_cum.append(acc)
        self.by_cum, acc = [], 0.0
        for r in range(len(BYLINES)):
            acc += 1.0 / (r + 1)
            self.by_cum.append(acc)
        self.persons_any = [t for t, k in zip(self.tags, self.tag_kinds)
                            if k == "P" and t != "Mohammed VI"] or ["Nasser Bourita"]
        self.persons = self.persons_any
        self.days = max(2.0, n / 100.0)

    # -- helpers
    def pick_cum(self, items, cum):
        x = self.rng.random() * cum[-1]
        return items[bisect.bisect_right(cum, x)]

    def zipf_tag(self):
        x = self.rng.random() * self.tag_cum[-1]
        return bisect.bisect_right(self.tag_cum, x)

    def pick_tags(self, section):
        rng = self.rng
        k = rng.choice((2, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 7, 8))
        chosen = []
        fav = [t for t in SECTION_FAVOURITES.get(section, []) if t in self.tag_index]
        if fav and rng.random() < 0.7:
            chosen.append(self.tag_index[rng.choice(fav)])
        tries = 0
        while len(chosen) < k and tries < 50:
            t = self.zipf_tag()
            if t not in chosen:
                chosen.append(t)
            tries += 1
        return chosen

    def tag_display(self, i):
        name = self.tags[i]
        if self.variant_rate and self.rng.random() < self.variant_rate:
            # a CMS typing variant: accents dropped or lower case; same slug
            if self.rng.random() < 0.5:
                d = unicodedata.normalize("NFKD", name)
                name = "".join(c for c in d if not unicodedata.combining(c))
            else:
                name = name.lower()
        return name

    def slots(self, tag_ids):
        s = self._slots(tag_ids)
        s["DEV"] = de(s["V"])
        lk, ek = COUNTRY_FORMS[s["K"]]
        s["LK"], s["EK"] = lk, ek
        s["LKc"] = lk[0].upper() + lk[1:]
        s["LK2"] = COUNTRY_FORMS[s["K2"]][0]
        return s

    def _slots(self, tag_ids):
        """Slot values, preferring the article's own tags."""
        rng = self.rng
        mine = {"P": [], "V": [], "K": []}
        for i in tag_ids:
            k = self.tag_kinds[i]
            if k in mine and self.tags[i] not in ("Maroc", "Mohammed VI", "Gibraltar"):
                mine[k].append(self.tags[i])
        countries = COUNTRIES
        K = mine["K"][0] if mine["K"] else rng.choice(countries)
        K2 = rng.choice([c for c in countries if c != K])
        n = rng.randint(2, 48)
        return {
            "P": mine["P"][0] if mine["P"] else rng.choice(self.persons),
            "P2": rng.choice(self.persons_any),
            "V": mine["V"][0] if mine["V"] else rng.choice(CITIES),
            "K": K, "K2": K2,
            "N": str(n), "N00": f"{rng.randint(2, 950) * 100:,}".replace(",", "\u202f"),
            "PCT": f"{rng.randint(1, 25)},{rng.randint(0, 9)}",
            "RATE": f"{rng.randint(2, 3)},{rng.choice(('25', '5', '75', '0'))}",
            "MONTH": rng.choice(MONTHS), "DAY": rng.choice(("1er",) + DAYS),
            "RUNNER": rng.choice(FIRST) + " " + rng.choice(LAST),
            "YEAR": str(rng.randint(2024, 2028)), "YEAR0": str(rng.randint(2015, 2023)),
            "LEADER": rng.choice(LEADERS), "MEDIA": rng.choice(MEDIA), "ORG": rng.choice(ORGS),
            "ORGSHORT": rng.choice(ORGSHORT), "CRIME": rng.choice(CRIMES),
            "IND": rng.choice(INDUSTRIES), "TOPIC": rng.choice(TOPICS),
            "WCITY": rng.choice(WORLD_CITIES), "EUCITY": rng.choice(EU_CITIES),
            "Q": rng.choice(QUOTES), "ROUND": rng.choice(ROUNDS), "FILM": rng.choice(FILMS),
            "AR": rng.choice(ARABIC),
            "CLUB_LE": club(rng, "le ", "l’"), "CLUB2_AU": club(rng, "au ", "à l’"),
            "PLAYER": rng.choice(PLAYERS), "ARTIST": rng.choice(ARTISTS),
            "DIRECTOR": rng.choice(DIRECTORS),
            "SCORE": f"{rng.randint(0, 4)}-{rng.randint(0, 3)}",
            "TIME": f"2 h {rng.randint(5, 15):02d} min", "AGE": str(rng.randint(3, 40)),
            "AGE2": str(rng.randint(41, 67)), "ORD": rng.choice(ORDINALS),
            "DAYWORD": rng.choice(DAYWORDS),
            "EVENT": f"{rng.choice(EVENT_KIND)} {rng.choice(EVENT_TOPIC)} {de(rng.choice(CITIES))}",
            "LINK": "\x00LINK\x00",
        }

    @staticmethod
    def fill(template, s):
        return template.format_map(s)

    def when(self, lo, hi):
        """A daytime-weighted instant in [lo, hi] (UTC seconds)."""
        rng = self.rng
        for _ in range(20):
            t = rng.uniform(lo, hi)
            off = casa_offset(int(t))
            hour = ((int(t) + off) // 3600) % 24
            # night hours (0-6 local) are kept with probability 0.15
            if 7 <= hour or rng.random() < 0.15:
                return int(t) // 60 * 60
        return int(hi) // 60 * 60

    def body(self, s):
        rng = self.rng
        bank = list(BODY_S)
        rng.shuffle(bank)
        npara = rng.randint(3, 8)
        target = rng.randint(1800, 3600)
        per = target / npara
        out = []
        for p in range(npara):
            if p > 0 and rng.random() < 0.12:
                out.append(f"<h2>{rng.choice(H2)}</h2>")
            if p > 0 and rng.random() < 0.08:
                out.append(f"<blockquote><p>« {html_escape(ucfirst(s['Q']))} », a insisté "
                           f"{html_escape(s['P'])}.</p></blockquote>")
            sent, size = [], 0
            while size < per:
                if rng.random() < self.prose_share:
                    t = html_escape(prose_sentence(rng))
                    sent.append(t)
                    size += len(t.encode("utf-8")) + 1
                    continue
                if not bank:
                    bank = [b for b in BODY_S if "LINK" not in b]
                    rng.shuffle(bank)
                t = ucfirst(self.fill(bank.pop(), s))
                if "<" not in t:
                    t = html_escape(t)
                else:  # the templates with markup carry '&' only in text
                    t = t.replace(" & ", " &amp; ")
                sent.append(t)
                size += len(t.encode("utf-8")) + 1
            out.append("<p>" + " ".join(sent) + "</p>")
            if p == 1 and rng.random() < 0.07:
                out.append("<ul><li>" + "</li><li>".join(
                    html_escape(self.fill(rng.choice(PLAIN_S), s)) for _ in range(3))
                    + "</li></ul>")
        return "\n".join(out)

    def schedule(self):
        """Phase 1: (published, updated, status) for every article, sorted by
        publication time (CMS ids are then assigned in that order)."""
        rng = self.rng
        now = self.now
        out = []
        for _ in range(self.n):
            u = rng.random()
            status = "published"
            if u < 0.005:
                pub = (now + rng.randint(1800, 10 * 86400)) // 60 * 60  # embargoed
            elif u < 0.035:
                pub = self.when(now - 48 * 3600, now)  # last 48 h
            else:
                pub = self.when(now - self.days * 86400, now)
                if u < 0.055:
                    status = "draft"
            upd = None
            if rng.random() < 0.10:
                delta = int(math.exp(rng.uniform(math.log(600), math.log(5 * 86400))))
                upd = min(pub + delta, max(now, pub + 60)) // 60 * 60
                if upd <= pub:
                    upd = None
            out.append((pub, upd, status))
        out.sort(key=lambda x: x[0])
        return out

    def article(self, num, pub, upd, status, earlier_urls):
        """Phase 2: one full record."""
        rng = self.rng
        section = self.pick_cum(self.sec_names, self.sec_cum)
        tag_ids = self.pick_tags(section)
        s = self.slots(tag_ids)
        title = self.fill(rng.choice(TITLES[section]), s)
        summary = " ".join(ucfirst(self.fill(t, s | {
            "ANN": self.fill(rng.choice(ANNOUNCEMENTS), s)}))
            for t in rng.sample(SUMMARY_S, rng.choice((1, 1, 2))))
        nauth = 2 if rng.random() < 0.15 else 1
        authors = []
        while len(authors) < nauth:
            b = self.pick_cum(BYLINES, self.by_cum)
            if b not in authors:
                authors.append(b)
        body = self.body(s)
        if "\x00LINK\x00" in body:  # link to an earlier article
            link = earlier_urls[rng.randrange(len(earlier_urls))] if earlier_urls \
                else self.base + "/"
            body = body.replace("\x00LINK\x00", link)
        slug = slugify(title, max_words=10)
        url = f"{self.base}/{slugify(section)}/{slug}-{num}.html"
        rec = {"id": f"{self.id_prefix}-{num}", "url": url, "title": title,
               "summary": summary, "content_html": body, "authors": authors,
               "section": section, "tags": [self.tag_display(i) for i in tag_ids],
               "published_at": rfc3339_casa(pub)}
        if upd:
            rec["updated_at"] = rfc3339_casa(upd)
        rec["language"] = "fr"
        if rng.random() < 0.70:
            ext = rng.choice(("jpg",) * 6 + ("webp", "webp", "png"))
            d = datetime.fromtimestamp(pub, timezone.utc)
            img = {"url": f"{self.base}/uploads/{d:%Y/%m}/{slug[:60]}-{num}.{ext}",
                   "type": {"jpg": "image/jpeg", "webp": "image/webp", "png": "image/png"}[ext]}
            if rng.random() < 0.8:
                img["width"], img["height"] = rng.choice(((1200, 675), (1280, 720), (800, 450),
                                                          (1024, 683)))
            if rng.random() < 0.5:
                img["caption"] = rng.choice((f"{s['P']} à {s['V']}", f"Vue de {s['V']}",
                                             f"{s['P']}, le {s['DAY']} {s['MONTH']}",
                                             "Photo d’illustration"))
            rec["image"] = img
        if status == "draft":
            rec["status"] = "draft"
        earlier_urls.append(url)
        return rec

    def generate(self):
        """Yields (record, published_ts) in CMS id order (= chronological)."""
        sched = self.schedule()
        num = 40000
        urls = []
        for pub, upd, status in sched:
            num += self.rng.choice((1, 1, 1, 2, 3))
            yield self.article(num, pub, upd, status, urls), pub


# --------------------------------------------------------------------------
# Writers

def toml_str(s):
    # a JSON string (ensure_ascii=False) is a valid TOML basic string
    return json.dumps(s, ensure_ascii=False)


def html_to_markdown(h):
    """content_html (one block per line, as written above) -> markdown."""
    blocks = []
    for b in h.split("\n"):
        b = re.sub(r"^<h2>(.*)</h2>$", r"## \1", b)
        b = re.sub(r"^<blockquote><p>(.*)</p></blockquote>$", r"> \1", b)
        if b.startswith("<ul>"):
            b = "\n".join("- " + x for x in re.findall(r"<li>(.*?)</li>", b))
        b = re.sub(r"^<p>(.*)</p>$", r"\1", b)
        b = re.sub(r"<strong>(.*?)</strong>", r"**\1**", b)
        b = re.sub(r"<em>(.*?)</em>", r"*\1*", b)
        b = re.sub(r'<a href="([^"]*)">(.*?)</a>', r"[\2](\1)", b)
        blocks.append(b.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    return "\n\n".join(blocks) + "\n"


def hugo_file(rec, body_mode):
    path = "/" + rec["url"].split("/", 3)[3]
    fm = ["+++",
          f"title = {toml_str(rec['title'])}",
          f"date = {rec['published_at']}",
          f"lastmod = {rec.get('updated_at', rec['published_at'])}",
          f"draft = {'true' if rec.get('status') == 'draft' else 'false'}",
          f"url = {toml_str(path)}",
          f"guid = {toml_str(rec['id'])}",
          "tags = [" + ", ".join(toml_str(t) for t in rec["tags"]) + "]",
          f"categories = [{toml_str(rec['section'])}]",
          "authors = [" + ", ".join(toml_str(a) for a in rec["authors"]) + "]",
          f"summary = {toml_str(rec['summary'])}"]
    if "image" in rec:
        fm.append(f"images = [{toml_str(rec['image']['url'])}]")
        fm.append(f"image_type = {toml_str(rec['image']['type'])}")
    fm.append("+++")
    body = rec["content_html"] + "\n" if body_mode == "html" else \
        html_to_markdown(rec["content_html"])
    return "\n".join(fm) + "\n" + body


def md_file(rec):
    fm = ["---",
          f"id: {json.dumps(rec['id'])}",
          f"title: {json.dumps(rec['title'], ensure_ascii=False)}",
          f"date: {rec['published_at']}",
          f"updated: {rec.get('updated_at', rec['published_at'])}",
          f"draft: {'true' if rec.get('status') == 'draft' else 'false'}",
          f"url: {json.dumps(rec['url'])}",
          f"section: {json.dumps(rec['section'], ensure_ascii=False)}",
          f"tags: {json.dumps(rec['tags'], ensure_ascii=False)}",
          f"authors: {json.dumps(rec['authors'], ensure_ascii=False)}",
          f"summary: {json.dumps(rec['summary'], ensure_ascii=False)}"]
    if "image" in rec:
        fm.append(f"image: {json.dumps(rec['image']['url'])}")
    fm.append("---")
    return "\n".join(fm) + "\n\n" + html_to_markdown(rec["content_html"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, required=True, help="number of articles")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--now", default="2026-11-29T12:00:00Z",
                    help="reference 'now' (RFC 3339); dates are spread before it")
    ap.add_argument("--out", required=True, help="JSON Lines output ('-' = stdout)")
    ap.add_argument("--base-url", default="https://www.actu.example.ma")
    ap.add_argument("--id-prefix", default="actu")
    ap.add_argument("--order", choices=("chrono", "shuffled"), default="chrono",
                    help="record order: by CMS id (= chronological) or shuffled")
    ap.add_argument("--tag-variant-rate", type=float, default=0.0,
                    help="share of tag occurrences written in a variant form "
                         "(accents dropped / lower case) that slugs to the same tag")
    ap.add_argument("--hugo-dir", help="also write DIR/content/articles/<id>.md")
    ap.add_argument("--hugo-body", choices=("html", "md"), default="html",
                    help="Hugo page body: the content_html as is (needs goldmark "
                         "unsafe=true) or converted to markdown")
    ap.add_argument("--md-dir", help="also write DIR/<id>.md (YAML front matter + markdown)")
    a = ap.parse_args(argv)

    g = Gen(a.n, a.seed, parse_now(a.now), a.base_url, a.id_prefix, a.tag_variant_rate)
    now = g.now
    hugo_d = None
    if a.hugo_dir:
        hugo_d = os.path.join(a.hugo_dir, "content", "articles")
        os.makedirs(hugo_d, exist_ok=True)
    if a.md_dir:
        os.makedirs(a.md_dir, exist_ok=True)
    out = sys.stdout if a.out == "-" else open(a.out, "w", encoding="utf-8", newline="\n")
    buffered = [] if a.order == "shuffled" else None
    nbytes = drafts = embargo = live = recent = 0
    used = {}
    for rec, pub in g.generate():
        line = json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
        nbytes += len(line.encode("utf-8"))
        if buffered is None:
            out.write(line)
        else:
            buffered.append(line)
        if hugo_d:
            with open(os.path.join(hugo_d, rec["id"] + ".md"), "w", encoding="utf-8",
                      newline="\n") as f:
                f.write(hugo_file(rec, a.hugo_body))
        if a.md_dir:
            with open(os.path.join(a.md_dir, rec["id"] + ".md"), "w", encoding="utf-8",
                      newline="\n") as f:
                f.write(md_file(rec))
        if rec.get("status") == "draft":
            drafts += 1
        elif pub > now:
            embargo += 1
        else:
            live += 1
            recent += pub > now - 48 * 3600
            for t in rec["tags"]:
                sl = slugify(t)
                used[sl] = used.get(sl, 0) + 1
    if buffered is not None:
        random.Random(a.seed + 1).shuffle(buffered)
        out.writelines(buffered)
    if out is not sys.stdout:
        out.close()
    full = sum(1 for v in used.values() if v >= 50)
    print(f"gen_corpus: {a.n} articles ({live} live, {drafts} drafts, {embargo} embargoed,"
          f" {recent} live in last 48h), {nbytes / 1e6:.1f} MB JSONL; tag vocab "
          f"{len(g.tags)}, {len(used)} tags live ({full} with >=50 items), "
          f"{len(SECTIONS)} sections, {g.days:g} days", file=sys.stderr)


if __name__ == "__main__":
    main()

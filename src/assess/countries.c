/* countries.c - countries by ISO 3166-1 alpha-2 code and name, with their GTD region.
 *
 * The sites of a file name their country either by its ISO alpha-2 code (OurAirports) or by its
 * English name (OpenFlights); incidents name their region as the GTD does. This table links the
 * three, so that a site can be given the GTD region whose rate its threat estimate is shrunk
 * toward (threat.c). Regions are those of the GTD codebook (June 2015), which places a few
 * countries unlike the UN geoscheme: Cyprus and Greece in Western Europe, Turkey in the Middle
 * East & North Africa, the Caucasus in Central Asia, Mexico in Central America & Caribbean.
 * Antarctica has no GTD region. Other names are the ones OpenFlights and the GTD use (Burma,
 * Congo (Kinshasa), West Bank and Gaza Strip, ...).
 *
 * The table is a fact table, sorted by code for a binary search; names are found by a linear,
 * case-insensitive scan (some 300 names, done once per imported row). Thread-safe: read only. */
#include "vigil/sites.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct country {
    char iso2[3];
    const char *name;
    const char *region;  /* NULL: none */
    const char *aliases; /* other names, ';'-separated, or NULL */
};

/* clang-format off */
static const struct country countries[] = {
    {"AD", "Andorra", "Western Europe", NULL},
    {"AE", "United Arab Emirates", "Middle East & North Africa", NULL},
    {"AF", "Afghanistan", "South Asia", NULL},
    {"AG", "Antigua and Barbuda", "Central America & Caribbean", NULL},
    {"AI", "Anguilla", "Central America & Caribbean", NULL},
    {"AL", "Albania", "Eastern Europe", NULL},
    {"AM", "Armenia", "Central Asia", NULL},
    {"AN", "Netherlands Antilles", "Central America & Caribbean", NULL},
    {"AO", "Angola", "Sub-Saharan Africa", NULL},
    {"AQ", "Antarctica", NULL, NULL},
    {"AR", "Argentina", "South America", NULL},
    {"AS", "American Samoa", "Australasia & Oceania", NULL},
    {"AT", "Austria", "Western Europe", NULL},
    {"AU", "Australia", "Australasia & Oceania", NULL},
    {"AW", "Aruba", "Central America & Caribbean", NULL},
    {"AX", "Aland Islands", "Western Europe", NULL},
    {"AZ", "Azerbaijan", "Central Asia", NULL},
    {"BA", "Bosnia and Herzegovina", "Eastern Europe", "Bosnia-Herzegovina"},
    {"BB", "Barbados", "Central America & Caribbean", NULL},
    {"BD", "Bangladesh", "South Asia", NULL},
    {"BE", "Belgium", "Western Europe", NULL},
    {"BF", "Burkina Faso", "Sub-Saharan Africa", NULL},
    {"BG", "Bulgaria", "Eastern Europe", NULL},
    {"BH", "Bahrain", "Middle East & North Africa", NULL},
    {"BI", "Burundi", "Sub-Saharan Africa", NULL},
    {"BJ", "Benin", "Sub-Saharan Africa", NULL},
    {"BL", "Saint Barthelemy", "Central America & Caribbean", NULL},
    {"BM", "Bermuda", "North America", NULL},
    {"BN", "Brunei", "Southeast Asia", "Brunei Darussalam"},
    {"BO", "Bolivia", "South America", NULL},
    {"BQ", "Caribbean Netherlands", "Central America & Caribbean", "Bonaire"},
    {"BR", "Brazil", "South America", NULL},
    {"BS", "Bahamas", "Central America & Caribbean", "The Bahamas"},
    {"BT", "Bhutan", "South Asia", NULL},
    {"BW", "Botswana", "Sub-Saharan Africa", NULL},
    {"BY", "Belarus", "Eastern Europe", NULL},
    {"BZ", "Belize", "Central America & Caribbean", NULL},
    {"CA", "Canada", "North America", NULL},
    {"CC", "Cocos (Keeling) Islands", "Australasia & Oceania", NULL},
    {"CD", "Democratic Republic of the Congo", "Sub-Saharan Africa", "Congo (Kinshasa);Zaire;DR Congo"},
    {"CF", "Central African Republic", "Sub-Saharan Africa", NULL},
    {"CG", "Republic of the Congo", "Sub-Saharan Africa", "Congo (Brazzaville);Congo;People's Republic of the Congo"},
    {"CH", "Switzerland", "Western Europe", NULL},
    {"CI", "Ivory Coast", "Sub-Saharan Africa", "Cote d'Ivoire;Côte d'Ivoire"},
    {"CK", "Cook Islands", "Australasia & Oceania", NULL},
    {"CL", "Chile", "South America", NULL},
    {"CM", "Cameroon", "Sub-Saharan Africa", NULL},
    {"CN", "China", "East Asia", NULL},
    {"CO", "Colombia", "South America", NULL},
    {"CR", "Costa Rica", "Central America & Caribbean", NULL},
    {"CU", "Cuba", "Central America & Caribbean", NULL},
    {"CV", "Cape Verde", "Sub-Saharan Africa", "Cabo Verde"},
    {"CW", "Curacao", "Central America & Caribbean", "Curaçao"},
    {"CX", "Christmas Island", "Australasia & Oceania", NULL},
    {"CY", "Cyprus", "Western Europe", NULL},
    {"CZ", "Czech Republic", "Eastern Europe", "Czechia;Czechoslovakia"},
    {"DE", "Germany", "Western Europe", "West Germany (FRG);East Germany (GDR)"},
    {"DJ", "Djibouti", "Sub-Saharan Africa", NULL},
    {"DK", "Denmark", "Western Europe", NULL},
    {"DM", "Dominica", "Central America & Caribbean", NULL},
    {"DO", "Dominican Republic", "Central America & Caribbean", NULL},
    {"DZ", "Algeria", "Middle East & North Africa", NULL},
    {"EC", "Ecuador", "South America", NULL},
    {"EE", "Estonia", "Eastern Europe", NULL},
    {"EG", "Egypt", "Middle East & North Africa", NULL},
    {"EH", "Western Sahara", "Middle East & North Africa", NULL},
    {"ER", "Eritrea", "Sub-Saharan Africa", NULL},
    {"ES", "Spain", "Western Europe", NULL},
    {"ET", "Ethiopia", "Sub-Saharan Africa", NULL},
    {"FI", "Finland", "Western Europe", NULL},
    {"FJ", "Fiji", "Australasia & Oceania", NULL},
    {"FK", "Falkland Islands", "South America", "Falkland Islands (Malvinas)"},
    {"FM", "Micronesia", "Australasia & Oceania", "Federated States of Micronesia"},
    {"FO", "Faroe Islands", "Western Europe", NULL},
    {"FR", "France", "Western Europe", "Corsica"},
    {"GA", "Gabon", "Sub-Saharan Africa", NULL},
    {"GB", "United Kingdom", "Western Europe", "Great Britain;Northern Ireland"},
    {"GD", "Grenada", "Central America & Caribbean", NULL},
    {"GE", "Georgia", "Central Asia", NULL},
    {"GF", "French Guiana", "South America", NULL},
    {"GG", "Guernsey", "Western Europe", NULL},
    {"GH", "Ghana", "Sub-Saharan Africa", NULL},
    {"GI", "Gibraltar", "Western Europe", NULL},
    {"GL", "Greenland", "North America", NULL},
    {"GM", "Gambia", "Sub-Saharan Africa", "The Gambia"},
    {"GN", "Guinea", "Sub-Saharan Africa", NULL},
    {"GP", "Guadeloupe", "Central America & Caribbean", NULL},
    {"GQ", "Equatorial Guinea", "Sub-Saharan Africa", NULL},
    {"GR", "Greece", "Western Europe", NULL},
    {"GT", "Guatemala", "Central America & Caribbean", NULL},
    {"GU", "Guam", "Australasia & Oceania", NULL},
    {"GW", "Guinea-Bissau", "Sub-Saharan Africa", NULL},
    {"GY", "Guyana", "South America", NULL},
    {"HK", "Hong Kong", "East Asia", NULL},
    {"HN", "Honduras", "Central America & Caribbean", NULL},
    {"HR", "Croatia", "Eastern Europe", NULL},
    {"HT", "Haiti", "Central America & Caribbean", NULL},
    {"HU", "Hungary", "Eastern Europe", NULL},
    {"ID", "Indonesia", "Southeast Asia", NULL},
    {"IE", "Ireland", "Western Europe", NULL},
    {"IL", "Israel", "Middle East & North Africa", NULL},
    {"IM", "Isle of Man", "Western Europe", NULL},
    {"IN", "India", "South Asia", NULL},
    {"IO", "British Indian Ocean Territory", "South Asia", NULL},
    {"IQ", "Iraq", "Middle East & North Africa", NULL},
    {"IR", "Iran", "Middle East & North Africa", NULL},
    {"IS", "Iceland", "Western Europe", NULL},
    {"IT", "Italy", "Western Europe", NULL},
    {"JE", "Jersey", "Western Europe", NULL},
    {"JM", "Jamaica", "Central America & Caribbean", NULL},
    {"JO", "Jordan", "Middle East & North Africa", NULL},
    {"JP", "Japan", "East Asia", NULL},
    {"KE", "Kenya", "Sub-Saharan Africa", NULL},
    {"KG", "Kyrgyzstan", "Central Asia", NULL},
    {"KH", "Cambodia", "Southeast Asia", NULL},
    {"KI", "Kiribati", "Australasia & Oceania", NULL},
    {"KM", "Comoros", "Sub-Saharan Africa", NULL},
    {"KN", "Saint Kitts and Nevis", "Central America & Caribbean", "St. Kitts and Nevis"},
    {"KP", "North Korea", "East Asia", NULL},
    {"KR", "South Korea", "East Asia", NULL},
    {"KW", "Kuwait", "Middle East & North Africa", NULL},
    {"KY", "Cayman Islands", "Central America & Caribbean", NULL},
    {"KZ", "Kazakhstan", "Central Asia", NULL},
    {"LA", "Laos", "Southeast Asia", NULL},
    {"LB", "Lebanon", "Middle East & North Africa", NULL},
    {"LC", "Saint Lucia", "Central America & Caribbean", "St. Lucia"},
    {"LI", "Liechtenstein", "Western Europe", NULL},
    {"LK", "Sri Lanka", "South Asia", NULL},
    {"LR", "Liberia", "Sub-Saharan Africa", NULL},
    {"LS", "Lesotho", "Sub-Saharan Africa", NULL},
    {"LT", "Lithuania", "Eastern Europe", NULL},
    {"LU", "Luxembourg", "Western Europe", NULL},
    {"LV", "Latvia", "Eastern Europe", NULL},
    {"LY", "Libya", "Middle East & North Africa", NULL},
    {"MA", "Morocco", "Middle East & North Africa", NULL},
    {"MC", "Monaco", "Western Europe", NULL},
    {"MD", "Moldova", "Eastern Europe", NULL},
    {"ME", "Montenegro", "Eastern Europe", NULL},
    {"MF", "Saint Martin", "Central America & Caribbean", NULL},
    {"MG", "Madagascar", "Sub-Saharan Africa", NULL},
    {"MH", "Marshall Islands", "Australasia & Oceania", NULL},
    {"MK", "North Macedonia", "Eastern Europe", "Macedonia"},
    {"ML", "Mali", "Sub-Saharan Africa", NULL},
    {"MM", "Myanmar", "Southeast Asia", "Burma"},
    {"MN", "Mongolia", "East Asia", NULL},
    {"MO", "Macau", "East Asia", "Macao"},
    {"MP", "Northern Mariana Islands", "Australasia & Oceania", NULL},
    {"MQ", "Martinique", "Central America & Caribbean", NULL},
    {"MR", "Mauritania", "Sub-Saharan Africa", NULL},
    {"MS", "Montserrat", "Central America & Caribbean", NULL},
    {"MT", "Malta", "Western Europe", NULL},
    {"MU", "Mauritius", "Sub-Saharan Africa", NULL},
    {"MV", "Maldives", "South Asia", NULL},
    {"MW", "Malawi", "Sub-Saharan Africa", NULL},
    {"MX", "Mexico", "Central America & Caribbean", NULL},
    {"MY", "Malaysia", "Southeast Asia", NULL},
    {"MZ", "Mozambique", "Sub-Saharan Africa", NULL},
    {"NA", "Namibia", "Sub-Saharan Africa", NULL},
    {"NC", "New Caledonia", "Australasia & Oceania", NULL},
    {"NE", "Niger", "Sub-Saharan Africa", NULL},
    {"NF", "Norfolk Island", "Australasia & Oceania", NULL},
    {"NG", "Nigeria", "Sub-Saharan Africa", NULL},
    {"NI", "Nicaragua", "Central America & Caribbean", NULL},
    {"NL", "Netherlands", "Western Europe", NULL},
    {"NO", "Norway", "Western Europe", NULL},
    {"NP", "Nepal", "South Asia", NULL},
    {"NR", "Nauru", "Australasia & Oceania", NULL},
    {"NU", "Niue", "Australasia & Oceania", NULL},
    {"NZ", "New Zealand", "Australasia & Oceania", NULL},
    {"OM", "Oman", "Middle East & North Africa", NULL},
    {"PA", "Panama", "Central America & Caribbean", NULL},
    {"PE", "Peru", "South America", NULL},
    {"PF", "French Polynesia", "Australasia & Oceania", NULL},
    {"PG", "Papua New Guinea", "Australasia & Oceania", NULL},
    {"PH", "Philippines", "Southeast Asia", NULL},
    {"PK", "Pakistan", "South Asia", NULL},
    {"PL", "Poland", "Eastern Europe", NULL},
    {"PM", "Saint Pierre and Miquelon", "North America", NULL},
    {"PR", "Puerto Rico", "Central America & Caribbean", NULL},
    {"PS", "Palestine", "Middle East & North Africa", "West Bank and Gaza Strip;West Bank;Gaza Strip"},
    {"PT", "Portugal", "Western Europe", NULL},
    {"PW", "Palau", "Australasia & Oceania", NULL},
    {"PY", "Paraguay", "South America", NULL},
    {"QA", "Qatar", "Middle East & North Africa", NULL},
    {"RE", "Reunion", "Sub-Saharan Africa", "Réunion"},
    {"RO", "Romania", "Eastern Europe", NULL},
    {"RS", "Serbia", "Eastern Europe", "Yugoslavia;Serbia-Montenegro"},
    {"RU", "Russia", "Eastern Europe", "Russian Federation;Soviet Union"},
    {"RW", "Rwanda", "Sub-Saharan Africa", NULL},
    {"SA", "Saudi Arabia", "Middle East & North Africa", NULL},
    {"SB", "Solomon Islands", "Australasia & Oceania", NULL},
    {"SC", "Seychelles", "Sub-Saharan Africa", NULL},
    {"SD", "Sudan", "Sub-Saharan Africa", NULL},
    {"SE", "Sweden", "Western Europe", NULL},
    {"SG", "Singapore", "Southeast Asia", NULL},
    {"SH", "Saint Helena", "Sub-Saharan Africa", NULL},
    {"SI", "Slovenia", "Eastern Europe", NULL},
    {"SJ", "Svalbard", "Western Europe", "Svalbard and Jan Mayen"},
    {"SK", "Slovakia", "Eastern Europe", NULL},
    {"SL", "Sierra Leone", "Sub-Saharan Africa", NULL},
    {"SM", "San Marino", "Western Europe", NULL},
    {"SN", "Senegal", "Sub-Saharan Africa", NULL},
    {"SO", "Somalia", "Sub-Saharan Africa", NULL},
    {"SR", "Suriname", "South America", NULL},
    {"SS", "South Sudan", "Sub-Saharan Africa", NULL},
    {"ST", "Sao Tome and Principe", "Sub-Saharan Africa", NULL},
    {"SV", "El Salvador", "Central America & Caribbean", NULL},
    {"SX", "Sint Maarten", "Central America & Caribbean", NULL},
    {"SY", "Syria", "Middle East & North Africa", NULL},
    {"SZ", "Eswatini", "Sub-Saharan Africa", "Swaziland"},
    {"TC", "Turks and Caicos Islands", "Central America & Caribbean", NULL},
    {"TD", "Chad", "Sub-Saharan Africa", NULL},
    {"TG", "Togo", "Sub-Saharan Africa", NULL},
    {"TH", "Thailand", "Southeast Asia", NULL},
    {"TJ", "Tajikistan", "Central Asia", NULL},
    {"TL", "East Timor", "Southeast Asia", "Timor-Leste"},
    {"TM", "Turkmenistan", "Central Asia", NULL},
    {"TN", "Tunisia", "Middle East & North Africa", NULL},
    {"TO", "Tonga", "Australasia & Oceania", NULL},
    {"TR", "Turkey", "Middle East & North Africa", "Turkiye;Türkiye"},
    {"TT", "Trinidad and Tobago", "Central America & Caribbean", NULL},
    {"TV", "Tuvalu", "Australasia & Oceania", NULL},
    {"TW", "Taiwan", "East Asia", NULL},
    {"TZ", "Tanzania", "Sub-Saharan Africa", NULL},
    {"UA", "Ukraine", "Eastern Europe", NULL},
    {"UG", "Uganda", "Sub-Saharan Africa", NULL},
    {"UM", "United States Minor Outlying Islands", "Australasia & Oceania", "Johnston Atoll;Midway Islands;Wake Island"},
    {"US", "United States", "North America", "United States of America;USA"},
    {"UY", "Uruguay", "South America", NULL},
    {"UZ", "Uzbekistan", "Central Asia", NULL},
    {"VA", "Vatican City", "Western Europe", NULL},
    {"VC", "Saint Vincent and the Grenadines", "Central America & Caribbean", "St. Vincent and the Grenadines"},
    {"VE", "Venezuela", "South America", NULL},
    {"VG", "British Virgin Islands", "Central America & Caribbean", NULL},
    {"VI", "Virgin Islands", "Central America & Caribbean", "U.S. Virgin Islands;US Virgin Islands"},
    {"VN", "Vietnam", "Southeast Asia", "Viet Nam"},
    {"VU", "Vanuatu", "Australasia & Oceania", NULL},
    {"WF", "Wallis and Futuna", "Australasia & Oceania", NULL},
    {"WS", "Samoa", "Australasia & Oceania", NULL},
    {"XK", "Kosovo", "Eastern Europe", NULL},
    {"YE", "Yemen", "Middle East & North Africa", "North Yemen;South Yemen"},
    {"YT", "Mayotte", "Sub-Saharan Africa", NULL},
    {"ZA", "South Africa", "Sub-Saharan Africa", NULL},
    {"ZM", "Zambia", "Sub-Saharan Africa", NULL},
    {"ZW", "Zimbabwe", "Sub-Saharan Africa", "Rhodesia"},
};
/* clang-format on */

#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))

static int by_code(const void *key, const void *elem)
{
    const struct country *c = elem;
    return strcasecmp(key, c->iso2);
}

/* 1 when name is one of the ';'-separated names of list (case-insensitive). */
static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    while (list && *list) {
        const char *end = strchr(list, ';');
        size_t len = end ? (size_t)(end - list) : strlen(list);
        if (len == n && strncasecmp(list, name, n) == 0)
            return 1;
        list = end ? end + 1 : NULL;
    }
    return 0;
}

const char *vg_country_region(const char *country, const char **iso2)
{
    const struct country *c = NULL;
    if (iso2)
        *iso2 = NULL;
    if (!country || !country[0])
        return NULL;
    if (strlen(country) == 2)
        c = bsearch(country, countries, NCOUNTRIES, sizeof(countries[0]), by_code);
    for (size_t i = 0; !c && i < NCOUNTRIES; i++)
        if (strcasecmp(countries[i].name, country) == 0 || in_list(countries[i].aliases, country))
            c = &countries[i];
    if (!c)
        return NULL;
    if (iso2)
        *iso2 = c->iso2;
    return c->region;
}
